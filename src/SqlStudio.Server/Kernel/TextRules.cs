using System.Text.Json;

namespace SqlStudio.Server.Kernel;

/// <summary>What text the server accepts where a person reads it back (names), and text that must be valid Unicode.</summary>
public static class TextRules
{
    /// <summary>No control characters (NUL, escapes, line breaks): a name is shown on pages, in emails and in logs.</summary>
    public static bool IsPrintable(string value) => !value.Any(char.IsControl);

    /// <summary>The string, unless it holds a lone surrogate (valid JSON, but not text a database or an email can carry).</summary>
    public static bool TryGetString(JsonElement value, out string text) => Contracts.JsonText.TryGetString(value, out text);

    /// <summary>No lone surrogate: text UTF-8 (the database, email) can carry.</summary>
    public static bool IsWellFormed(string text) => Contracts.JsonText.IsWellFormed(text);

    /// <summary>Well-formed text with no control characters but line breaks and tabs (a message someone wrote).</summary>
    public static bool IsMultilineText(string value) =>
        IsWellFormed(value) && !value.Any(c => char.IsControl(c) && c is not ('\n' or '\r' or '\t'));
}
