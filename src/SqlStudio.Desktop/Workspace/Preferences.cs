using System.Text.Json.Nodes;

namespace SqlStudio.Desktop.Workspace;

public sealed record AppPreferences(string Theme, int FontSize, int RowLimit)
{
    public static readonly AppPreferences Defaults = new("system", 14, 1000);
}

/// <summary>Theme (light, dark, system), editor font size and result row limit: preferences that sync (ui_preferences).</summary>
public sealed class Preferences(WorkspaceStore workspace)
{
    public const string ThemeKey = "theme";
    public const string FontSizeKey = "editor.font_size";
    public const string RowLimitKey = "results.row_limit";

    public event Action? Changed;

    public async Task<AppPreferences> GetAsync()
    {
        var values = (await workspace.ListAsync("ui_preferences")).ToDictionary(r => r.Id, r => r.Data["value"]);
        var stored = values.GetValueOrDefault(ThemeKey)?.ToString();
        var theme = stored is "light" or "dark" or "system" ? stored : AppPreferences.Defaults.Theme;
        return new AppPreferences(theme,
            Clamp(values.GetValueOrDefault(FontSizeKey), 10, 28, AppPreferences.Defaults.FontSize),
            Clamp(values.GetValueOrDefault(RowLimitKey), 10, 10_000, AppPreferences.Defaults.RowLimit));
    }

    public async Task SaveAsync(AppPreferences preferences)
    {
        var current = await GetAsync();
        if (preferences.Theme != current.Theme)
        {
            await PutAsync(ThemeKey, JsonValue.Create(preferences.Theme));
        }
        if (preferences.FontSize != current.FontSize)
        {
            await PutAsync(FontSizeKey, JsonValue.Create(Math.Clamp(preferences.FontSize, 10, 28)));
        }
        if (preferences.RowLimit != current.RowLimit)
        {
            await PutAsync(RowLimitKey, JsonValue.Create(Math.Clamp(preferences.RowLimit, 10, 10_000)));
        }
        Changed?.Invoke();
    }

    private Task PutAsync(string key, JsonNode value) => workspace.PutAsync("ui_preferences", key, new JsonObject { ["key"] = key, ["value"] = value });

    private static int Clamp(JsonNode? node, int min, int max, int fallback) =>
        node is JsonValue v && v.TryGetValue<long>(out var n) ? (int)Math.Clamp(n, min, max)
        : int.TryParse(node?.ToString(), out var parsed) ? Math.Clamp(parsed, min, max) : fallback;
}
