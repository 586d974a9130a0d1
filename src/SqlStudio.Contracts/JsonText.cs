using System.Text.Json;

namespace SqlStudio.Contracts;

/// <summary>
/// JSON a client may send as a record's value: what the parser tolerates but nobody can store and read back — a key
/// given twice in one object (which of the two would a reader see?) and a lone surrogate in a key or a string
/// (valid JSON escapes, but not text UTF-8 can carry). The server refuses such a value; the SDK never queues one.
/// </summary>
public static class JsonText
{
    /// <summary>The path of the first problem in <paramref name="value"/> and what it is, or null when the value is sound.</summary>
    public static string? FindProblem(JsonElement value, string path)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                var seen = new HashSet<string>(StringComparer.Ordinal);
                foreach (var property in value.EnumerateObject())
                {
                    if (!TryGetName(property, out var name))
                    {
                        return $"{path} has a key that is not valid Unicode text (a lone surrogate).";
                    }
                    if (!seen.Add(name))
                    {
                        return $"{path} has the key '{name}' twice.";
                    }
                    if (FindProblem(property.Value, $"{path}.{name}") is { } found)
                    {
                        return found;
                    }
                }
                return null;
            case JsonValueKind.Array:
                var index = 0;
                foreach (var item in value.EnumerateArray())
                {
                    if (FindProblem(item, $"{path}[{index++}]") is { } found)
                    {
                        return found;
                    }
                }
                return null;
            case JsonValueKind.String:
                return TryGetString(value, out _) ? null : $"{path} is not valid Unicode text (a lone surrogate).";
            default:
                return null;
        }
    }

    /// <summary>The string, unless it holds a lone surrogate.</summary>
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

    /// <summary>No lone surrogate: text UTF-8 (a database, an email, a log) can carry.</summary>
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

    private static bool TryGetName(JsonProperty property, out string name)
    {
        try
        {
            name = property.Name;
        }
        catch (InvalidOperationException)
        {
            name = "";
            return false;
        }
        return IsWellFormed(name);
    }
}
