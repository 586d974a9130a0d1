using System.Text.RegularExpressions;

namespace SqlStudio.Contracts;

/// <summary>
/// The one rule for ids on the wire (devices, mutations, records, imports), and its sentence: 1 to 100 letters,
/// digits, '-', '_', '.' or ':' — for the server, the SDK and the CLI alike.
/// </summary>
public static partial class IdRules
{
    public const string Shape = "up to 100 letters, digits, '-', '_', '.' or ':'";

    public static bool IsId(string? value) => value is { Length: > 0 and <= 100 } && Pattern().IsMatch(value);

    /// <summary>"device_id is required: up to 100 letters, …" — the sentence for a missing or malformed id.</summary>
    public static string Required(string name) => $"{name} is required: {Shape}.";

    // \z, not $: $ also matches before a final newline, and "t7\n" is not an id.
    [GeneratedRegex(@"^[A-Za-z0-9_.:-]+\z")]
    private static partial Regex Pattern();
}
