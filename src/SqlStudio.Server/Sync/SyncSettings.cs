using System.Text.Json;
using System.Text.Json.Nodes;
using SqlStudio.Contracts;
using SqlStudio.Server.Data;

namespace SqlStudio.Server.Sync;

/// <summary>The sync settings a user sets on the web, kept as <c>ui_preferences</c> so every device picks them up.</summary>
public sealed record HistorySettings(bool SyncHistory, IReadOnlyList<string> RedactionKeywords);

/// <summary>Reads and writes the history settings through the same push path as any device.</summary>
public sealed class SyncSettings(Db db, PushService push, TimeProvider time)
{
    public const string WebDevice = "web";

    public async Task<HistorySettings> ReadAsync(string userId)
    {
        var (enabled, keywords) = await db.ReadAsync(async c => (
            await SyncStore.LoadAsync(c, null, EntityCatalogue.UiPreferences, userId, HistoryPreferences.EnabledKey),
            await SyncStore.LoadAsync(c, null, EntityCatalogue.UiPreferences, userId, HistoryPreferences.RedactionKeywordsKey)));
        var syncHistory = enabled is { Deleted: false } && enabled.Values["value"] is string e ? JsonNode.Parse(e)?.GetValue<bool>() ?? true : true;
        var list = keywords is { Deleted: false } && keywords.Values["value"] is string k
            ? JsonSerializer.Deserialize<List<string>>(k) ?? [.. HistoryPreferences.DefaultRedactionKeywords]
            : [.. HistoryPreferences.DefaultRedactionKeywords];
        return new HistorySettings(syncHistory, list);
    }

    public async Task<Failure?> SaveAsync(string userId, bool syncHistory, string? keywordText)
    {
        var keywords = (keywordText ?? "").Split([',', '\n'], StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(k => k.ToLowerInvariant()).Distinct().ToList();
        if (keywords.Count > 100 || keywords.Any(k => k.Length > 100))
        {
            return Failure.Validation(new Dictionary<string, string[]> { ["keywords"] = ["Up to 100 keywords of up to 100 characters each."] });
        }
        var versions = await db.ReadAsync(async c => (
            (await SyncStore.LoadAsync(c, null, EntityCatalogue.UiPreferences, userId, HistoryPreferences.EnabledKey))?.Version ?? 0,
            (await SyncStore.LoadAsync(c, null, EntityCatalogue.UiPreferences, userId, HistoryPreferences.RedactionKeywordsKey))?.Version ?? 0));
        var now = StoredTime.Format(time.GetUtcNow());
        JsonElement Data(string key, JsonNode value) => JsonSerializer.SerializeToElement(new JsonObject { ["key"] = key, ["value"] = value });
        var outcome = await push.PushAsync(userId, new PushRequest(WebDevice,
        [
            new Mutation(Guid.CreateVersion7().ToString(), EntityTypes.UiPreferences, HistoryPreferences.EnabledKey, "upsert", versions.Item1, now, Data(HistoryPreferences.EnabledKey, syncHistory)),
            new Mutation(Guid.CreateVersion7().ToString(), EntityTypes.UiPreferences, HistoryPreferences.RedactionKeywordsKey, "upsert", versions.Item2, now,
                Data(HistoryPreferences.RedactionKeywordsKey, new JsonArray(keywords.Select(k => (JsonNode)k).ToArray()))),
        ]));
        return outcome.Failure ?? (outcome.Value!.Results.FirstOrDefault(r => r.Status == MutationStatus.Rejected) is { } rejected
            ? new Failure(400, rejected.Error!.Code, rejected.Error.Message)
            : null);
    }
}
