namespace SqlStudio.Contracts;

/// <summary>
/// The words a person knows a record by — its title or name, a preference's key, the first line of its text — for the
/// conflict view on the web, the CLI and the SDK's events alike.
/// </summary>
public static class RecordTitles
{
    /// <summary>The record's title (at most 80 characters and one line), or null when it has none.</summary>
    public static string? Of(string type, string id, Func<string, string?> field)
    {
        var text = type switch
        {
            EntityTypes.Connections => field("name"),
            EntityTypes.UiPreferences => id,
            EntityTypes.QueryHistory => field("query_text"),
            EntityTypes.AiMessages => field("content"),
            _ => field("title"),
        };
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }
        var line = text.Trim().Split('\n')[0].Trim();
        return line.Length > 80 ? line[..80] + "…" : line;
    }
}
