using System.Collections.Frozen;

namespace SqlStudio.Server.Auth;

/// <summary>
/// The password rule (docs/security.md): 8–128 characters, at least one digit and one character that is neither a letter
/// nor a digit, and not one of the 30,000 most common passwords (zxcvbn's list, compared case-insensitively).
/// </summary>
public sealed class PasswordPolicy
{
    public const int MinLength = 8;
    public const int MaxLength = 128;

    private static readonly Lazy<FrozenSet<string>> CommonPasswords = new(LoadCommonPasswords);

    public static int CommonPasswordCount => CommonPasswords.Value.Count;

    /// <summary>Every rule the password breaks, as messages for the user; empty when it is acceptable.</summary>
    public static IReadOnlyList<string> Check(string? password)
    {
        var problems = new List<string>();
        if (string.IsNullOrEmpty(password))
        {
            return ["Choose a password."];
        }
        if (password.Length < MinLength)
        {
            problems.Add($"Use at least {MinLength} characters.");
        }
        if (password.Length > MaxLength)
        {
            problems.Add($"Use at most {MaxLength} characters.");
        }
        if (!password.Any(char.IsDigit))
        {
            problems.Add("Include at least one digit.");
        }
        if (password.All(char.IsLetterOrDigit))
        {
            problems.Add("Include at least one symbol (a character that is not a letter or digit).");
        }
        if (IsCommon(password))
        {
            problems.Add("This password is one of the most common ones; choose something less guessable.");
        }
        return problems;
    }

    public static bool IsCommon(string password) => CommonPasswords.Value.Contains(password.ToLowerInvariant());

    private static FrozenSet<string> LoadCommonPasswords()
    {
        // zxcvbn-core ships the frequency-ordered list as a resource; we only read it.
        var assembly = typeof(Zxcvbn.Matcher.DictionaryMatcher).Assembly;
        using var stream = assembly.GetManifestResourceStream("zxcvbn-core.Dictionaries.passwords.lst")
            ?? throw new InvalidOperationException("zxcvbn-core's password list is missing.");
        using var reader = new StreamReader(stream);
        var words = new HashSet<string>(StringComparer.Ordinal);
        while (reader.ReadLine() is { } line)
        {
            if (line.Trim() is { Length: > 0 } word)
            {
                words.Add(word.ToLowerInvariant());
            }
        }
        return words.ToFrozenSet(StringComparer.Ordinal);
    }
}
