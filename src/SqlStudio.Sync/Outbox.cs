using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using SqlStudio.Contracts;

namespace SqlStudio.Sync;

/// <summary>
/// This device's side of the write: a change is checked (a known type, credentials kept on the device, history as the
/// user's settings say), saved to the local store and queued for the push in the same local transaction, and the
/// worker woken. It never talks to the server.
/// </summary>
internal sealed class Outbox(LocalStore store, SyncClientOptions options, TimeProvider time, Action wake)
{
    /// <summary>Saves changed fields of a record on this device and queues them; returns the local record.</summary>
    public async Task<LocalRecord> SaveAsync(string type, string id, JsonObject changes)
    {
        var policy = await HistoryPolicyAsync();
        var change = Prepare(type, id, changes, policy);
        var now = time.GetUtcNow();
        var record = await store.WriteAsync(async (c, t) =>
        {
            await ApplyAsync(c, t, change, now);
            return (await LocalStore.GetAsync(c, t, type, id))!;
        });
        wake();
        return record;
    }

    /// <summary>
    /// Many changes in one local transaction (a bulk edit, a paste of many rows, a batch of history): each still its own
    /// mutation, and each through the same path as <see cref="SaveAsync"/> (type check, secrets, history policy).
    /// </summary>
    public async Task SaveManyAsync(IEnumerable<(string Type, string Id, JsonObject Changes)> changes)
    {
        var policy = await HistoryPolicyAsync();
        var prepared = changes.Select(c => Prepare(c.Type, c.Id, c.Changes, policy)).ToList();
        var now = time.GetUtcNow();
        await store.WriteAsync(async (c, t) =>
        {
            foreach (var change in prepared)
            {
                await ApplyAsync(c, t, change, now);
            }
            return true;
        });
        wake();
    }

    /// <summary>A local change made ready: what may leave the device, what stays (secrets), and whether it syncs at all.</summary>
    private sealed record PreparedChange(string Type, string Id, JsonObject Shareable, Dictionary<string, string> Secrets, bool LocalOnly);

    /// <summary>The history settings (synced preferences), read once per call.</summary>
    private sealed record HistoryPolicy(bool Enabled, bool SkipSensitive, IReadOnlyList<string> Keywords);

    /// <summary>The one change path: the type is known, credentials go to the device-only store, history follows the user's settings.</summary>
    private static PreparedChange Prepare(string type, string id, JsonObject changes, HistoryPolicy history)
    {
        if (EntityTypes.All.All(t => t != type))
        {
            throw new ArgumentException($"Unknown entity type '{type}'.", nameof(type));
        }
        var (shareable, secrets) = SyncPolicy.StripSecrets(type, changes);
        if (type != "query_history")
        {
            return new PreparedChange(type, id, shareable, secrets, false);
        }
        if (!history.Enabled)
        {
            return new PreparedChange(type, id, shareable, secrets, true);
        }
        if (shareable["query_text"] is JsonValue text && text.TryGetValue<string>(out var query) && SyncPolicy.SensitiveKeyword(query, history.Keywords) is not null)
        {
            if (history.SkipSensitive)
            {
                return new PreparedChange(type, id, shareable, secrets, true);
            }
            // Masked here, so the device and the server hold the same statement (a pulled echo would replace an unmasked copy).
            shareable = (JsonObject)shareable.DeepClone();
            shareable["query_text"] = SyncPolicy.RedactQuery(query, history.Keywords);
        }
        return new PreparedChange(type, id, shareable, secrets, false);
    }

    private async Task ApplyAsync(SqliteConnection c, SqliteTransaction t, PreparedChange change, DateTimeOffset now)
    {
        var (type, id) = (change.Type, change.Id);
        foreach (var (field, value) in change.Secrets)
        {
            await store.PutSecretAsync(c, t, type, id, field, value);
        }
        var existing = await LocalStore.GetAsync(c, t, type, id);
        var data = existing is null ? new JsonObject() : (JsonObject)existing.Data.DeepClone();
        foreach (var (field, value) in change.Shareable)
        {
            data[field] = value?.DeepClone();
        }
        await LocalStore.PutAsync(c, t, type, id, existing?.Version ?? 0, existing?.ServerSeq ?? 0, data, false, WireTime.ToText(now));
        if (!change.LocalOnly)
        {
            await EnqueueAsync(c, t, type, id, existing, change.Shareable, isDelete: false, now);
        }
    }

    public async Task DeleteAsync(string type, string id)
    {
        var now = time.GetUtcNow();
        await store.WriteAsync(async (c, t) =>
        {
            var existing = await LocalStore.GetAsync(c, t, type, id);
            if (existing is null)
            {
                return false;
            }
            await LocalStore.PutAsync(c, t, type, id, existing.Version, existing.ServerSeq, existing.Data, true, WireTime.ToText(now));
            await EnqueueAsync(c, t, type, id, existing, null, isDelete: true, now);
            await LocalStore.RemoveSecretsAsync(c, t, type, id);
            return true;
        });
        wake();
    }

    private async Task EnqueueAsync(SqliteConnection c, SqliteTransaction t, string type, string id, LocalRecord? existing, JsonObject? changes,
        bool isDelete, DateTimeOffset now)
    {
        var pending = await LocalStore.PendingAsync(c, t, type, id);
        var isNew = existing is null || (existing.Version == 0 && pending is not null && pending.BaseVersion == 0);
        var due = SyncPolicy.DueAt(type, isNew, isDelete, changes, now, options);
        if (pending is not null && due > now && DateTimeOffset.Parse(pending.DueAt) < due && changes?.ContainsKey("content") != true)
        {
            due = DateTimeOffset.Parse(pending.DueAt);
        }
        if (isDelete && existing is { Version: 0 } && pending is not null)
        {
            // Never reached the server: forget it here too.
            await LocalStore.DequeueAsync(c, t, pending.Seq);
            await LocalStore.RemoveAsync(c, t, type, id);
            return;
        }
        JsonObject? data;
        if (isDelete)
        {
            data = null;
        }
        else if (pending is { Op: "upsert", Data: { } pendingData })
        {
            data = pendingData;
            foreach (var (field, value) in changes!)
            {
                data[field] = value?.DeepClone();
            }
        }
        else
        {
            data = (JsonObject)changes!.DeepClone();
            if (pending is { Op: "delete" } && existing is not null)
            {
                // Deleted and saved again before either went out: send the whole record.
                data = (JsonObject)existing.Data.DeepClone();
                foreach (var (field, value) in changes)
                {
                    data[field] = value?.DeepClone();
                }
            }
        }
        var baseVersion = pending?.BaseVersion ?? existing?.Version ?? 0;
        await LocalStore.EnqueueAsync(c, t, type, id, isDelete ? "delete" : "upsert", baseVersion, WireTime.ToText(now), data?.ToJsonString(), WireTime.ToText(due));
        if (type == "query_history" && await LocalStore.PendingCountAsync(c, t, type) >= options.HistoryBatchSize)
        {
            await LocalStore.MakeDueAsync(c, t, type, WireTime.ToText(now));
        }
    }

    private async Task<HistoryPolicy> HistoryPolicyAsync()
    {
        var enabled = await store.GetAsync("ui_preferences", HistoryPreferences.EnabledKey);
        var skip = await store.GetAsync("ui_preferences", HistoryPreferences.SkipSensitiveKey);
        var keywords = (await store.GetAsync("ui_preferences", HistoryPreferences.RedactionKeywordsKey)) is { Deleted: false } k && k.Data["value"] is JsonArray list
            ? list.Select(x => x?.ToString() ?? "").ToArray()
            : HistoryPreferences.DefaultRedactionKeywords;
        return new HistoryPolicy(
            !(enabled is { Deleted: false } && enabled.Data["value"] is JsonValue v && v.TryGetValue<bool>(out var on) && !on),
            skip is { Deleted: false } && skip.Data["value"] is JsonValue s && s.TryGetValue<bool>(out var yes) && yes,
            keywords);
    }
}
