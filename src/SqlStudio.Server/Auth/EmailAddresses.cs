using System.Globalization;
using System.Text;

namespace SqlStudio.Server.Auth;

/// <summary>
/// One address for what a person reads as one address. Every email that enters (sign-up, sign-in, reset, verification,
/// OAuth, invites, the waitlist, operator commands) is normalized the same way before it is checked, looked up or
/// stored: surrounding spaces and invisible characters (zero-width spaces and joiners, soft hyphens, byte-order marks)
/// removed, compatibility forms folded (NFKC: fullwidth letters, the Kelvin sign, the ff ligature, NFD accents), the
/// domain in lower case without a trailing dot. Letters of two scripts that look alike (Latin with Cyrillic or Greek)
/// in one part of an address are refused by <see cref="Accounts.EmailProblem"/> (docs/security.md).
/// </summary>
public static class EmailAddresses
{
    public static string Normalize(string? raw)
    {
        if (string.IsNullOrEmpty(raw))
        {
            return "";
        }
        var visible = new StringBuilder(raw.Length);
        foreach (var rune in raw.EnumerateRunes())
        {
            // Format characters (Cf: U+200B-U+200F, U+00AD, U+2060, U+FEFF…) print as nothing.
            if (Rune.GetUnicodeCategory(rune) != UnicodeCategory.Format)
            {
                visible.Append(rune.ToString());
            }
        }
        var text = visible.ToString().Trim();
        if (!text.IsNormalized(NormalizationForm.FormKC))
        {
            try
            {
                text = text.Normalize(NormalizationForm.FormKC);
            }
            catch (ArgumentException)
            {
                // Not valid Unicode (a lone surrogate): left as it is, and refused by EmailProblem.
                return text;
            }
        }
        var at = text.LastIndexOf('@');
        if (at < 0)
        {
            return text;
        }
        var domain = text[(at + 1)..].TrimEnd('.').ToLowerInvariant();
        return text[..(at + 1)] + domain;
    }

    /// <summary>True when one part of the address (the local part, or a label of the domain) mixes look-alike scripts.</summary>
    public static bool MixesScripts(string email)
    {
        foreach (var part in email.Split('@', '.'))
        {
            var scripts = Script.None;
            foreach (var rune in part.EnumerateRunes())
            {
                scripts |= ScriptOf(rune);
            }
            if (scripts is not (Script.None or Script.Latin or Script.Greek or Script.Cyrillic or Script.Other))
            {
                return true;
            }
        }
        return false;
    }

    [Flags]
    private enum Script { None = 0, Latin = 1, Greek = 2, Cyrillic = 4, Other = 8 }

    private static Script ScriptOf(Rune rune)
    {
        if (!Rune.IsLetter(rune))
        {
            return Script.None;
        }
        var v = rune.Value;
        return v switch
        {
            < 0x0250 or (>= 0x1E00 and < 0x1F00) or (>= 0x2C60 and < 0x2C80) or (>= 0xA720 and < 0xA800) => Script.Latin,
            (>= 0x0370 and < 0x0400) or (>= 0x1F00 and < 0x2000) => Script.Greek,
            (>= 0x0400 and < 0x0530) or (>= 0x1C80 and < 0x1C90) or (>= 0x2DE0 and < 0x2E00) or (>= 0xA640 and < 0xA6A0) => Script.Cyrillic,
            _ => Script.Other,
        };
    }
}
