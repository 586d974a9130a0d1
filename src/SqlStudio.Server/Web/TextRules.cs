using System.Text.Json;

namespace SqlStudio.Server.Web;

/// <summary>What text the server accepts where a person reads it back (names), and text that must be valid Unicode.</summary>
public static class TextRules
{
    /// <summary>No control characters (NUL, escapes, line breaks): a name is shown on pages, in emails and in logs.</summary>
    public static bool IsPrintable(string value) => !value.Any(char.IsControl);

    /// <summary>The string, unless it holds a lone surrogate (valid JSON, but not text a database or an email can carry).</summary>
    public static bool TryGetString(JsonElement value, out string text)
    {
        try
        {
            text = value.GetString()!;
        }
        catch (InvalidOperationException)
        {
            text = "";
            return false;
        }
        return IsWellFormed(text);
    }

    /// <summary>No lone surrogate: text UTF-8 (the database, email) can carry.</summary>
    public static bool IsWellFormed(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(text[i]))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>Well-formed text with no control characters but line breaks and tabs (a message someone wrote).</summary>
    public static bool IsMultilineText(string value) =>
        IsWellFormed(value) && !value.Any(c => char.IsControl(c) && c is not ('\n' or '\r' or '\t'));
}
