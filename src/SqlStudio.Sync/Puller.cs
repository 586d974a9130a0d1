using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SqlStudio.Sync;

/// <summary>The pull: other devices' changes, page by page by cursor, into the local store; a local change still waiting keeps its fields.</summary>
internal sealed class Puller(LocalStore store, SyncApi api, Uri server, Action<PulledChanges> pulled)
{
    private static readonly HashSet<string> Meta = ["id", "version", "server_seq", "updated_at", "updated_by_device", "deleted"];

    /// <summary>
    /// Pulls every page after this device's cursor into the local store (the next page travels while this one is
    /// written); a 410 rebuilds from scratch, keeping what is still to push. Returns how many records other devices changed.
    /// </summary>
    public async Task<int> PullAsync(string deviceId, IProgress<SyncProgress>? progress, CancellationToken ct)
    {
        var start = long.Parse(await store.GetMetaAsync("cursor") ?? "0");
        var cursor = start;
        var pulledCount = 0;
        long? total = null;
        Task<JsonDocument>? prefetched = null;
        while (true)
        {
            JsonDocument document;
            try
            {
                document = await (prefetched ?? api.ChangesDocumentAsync(server, cursor, deviceId, ct));
                prefetched = null;
            }
            catch (SyncApiException ex) when (ex.Status == HttpStatusCode.Gone)
            {
                // Offline longer than deletions are kept: rebuild from scratch, keeping what is still to push.
                await store.WriteAsync(async (c, t) =>
                {
                    await LocalStore.ForgetSyncedAsync(c, t);
                    await LocalStore.SetMetaAsync(c, t, "cursor", "0");
                    return true;
                });
                (cursor, start, prefetched) = (0, 0, null);
                continue;
            }
            using var page = document;
            var root = page.RootElement;
            var nextCursor = root.GetProperty("next_cursor").GetInt64();
            if (root.GetProperty("has_more").GetBoolean())
            {
                // The next page travels while this one is written: network and disk work side by side.
                prefetched = api.ChangesDocumentAsync(server, nextCursor, deviceId, ct);
            }
            if (progress is not null)
            {
                // Only a caller that shows progress pays for knowing the total (the worker's live pulls do not).
                total ??= Math.Max(1, (await api.HeadAsync(server, ct)).Cursor - start);
            }
            var types = new HashSet<string>();
            var applied = await store.WriteAsync(async (c, t) =>
            {
                types.Clear();
                // Most records have no local change waiting and are not deletions: they take one prepared upsert.
                var outboxEmpty = await LocalStore.PendingCountAsync(c, t) == 0;
                using var upsert = LocalStore.PrepareUpsert(c, t);
                var count = 0;
                foreach (var typed in root.GetProperty("changes").EnumerateObject())
                {
                    foreach (var record in typed.Value.EnumerateArray())
                    {
                        // This device's own change coming back is stored (its version and place in the log) but is
                        // not news: "pulled" counts what other devices and the web changed.
                        if (!record.TryGetProperty("updated_by_device", out var by) || by.ValueKind != JsonValueKind.String || by.GetString() != deviceId)
                        {
                            count++;
                            types.Add(typed.Name);
                        }
                        var id = record.GetProperty("id").GetString()!;
                        var pending = outboxEmpty ? null : await LocalStore.PendingAsync(c, t, typed.Name, id);
                        if (pending is null && !record.GetProperty("deleted").GetBoolean())
                        {
                            await upsert.RunAsync(typed.Name, id, record.GetProperty("version").GetInt64(), record.GetProperty("server_seq").GetInt64(),
                                FieldsJson(record), false, record.GetProperty("updated_at").GetString()!, LocalStore.SearchText(typed.Name, record));
                            continue;
                        }
                        await ApplyServerRecordAsync(c, t, typed.Name, JsonNode.Parse(record.GetRawText())!.AsObject(), pending);
                    }
                }
                await LocalStore.SetMetaAsync(c, t, "cursor", nextCursor.ToString(System.Globalization.CultureInfo.InvariantCulture));
                return count;
            });
            pulledCount += applied;
            if (applied > 0)
            {
                pulled(new PulledChanges(applied, types));
            }
            cursor = nextCursor;
            var more = root.GetProperty("has_more").GetBoolean();
            if (progress is not null && total is { } all)
            {
                // The last page ends the pull: 100 %, even when the head moved on while it ran or the cursor skipped ahead.
                progress.Report(new SyncProgress("pull", more ? Math.Min(cursor - start, all) : all, all));
            }
            if (!more)
            {
                return pulledCount;
            }
        }
    }

    /// <summary>The record's fields (without the sync metadata) as JSON text, copied from the page as they came.</summary>
    private static string FieldsJson(JsonElement record)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var property in record.EnumerateObject())
            {
                if (!Meta.Contains(property.Name))
                {
                    property.WriteTo(writer);
                }
            }
            writer.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Stores the server's record; fields with a local change still waiting keep the local value.</summary>
    internal static async Task ApplyServerRecordAsync(Microsoft.Data.Sqlite.SqliteConnection c, Microsoft.Data.Sqlite.SqliteTransaction t, string type,
        JsonObject record, OutboxEntry? pending)
    {
        var id = record["id"]!.GetValue<string>();
        var deleted = record["deleted"]?.GetValue<bool>() ?? false;
        var existing = await LocalStore.GetAsync(c, t, type, id);
        var data = deleted && existing is not null ? (JsonObject)existing.Data.DeepClone() : new JsonObject();
        if (!deleted)
        {
            foreach (var (field, value) in record.Where(p => !Meta.Contains(p.Key)))
            {
                data[field] = value?.DeepClone();
            }
        }
        if (pending is { Op: "upsert", Data: { } changes })
        {
            foreach (var (field, value) in changes)
            {
                data[field] = value?.DeepClone();
            }
            deleted = false;
        }
        else if (pending is { Op: "delete" })
        {
            deleted = true;
        }
        await LocalStore.PutAsync(c, t, type, id, record["version"]!.GetValue<long>(), record["server_seq"]!.GetValue<long>(), data, deleted,
            record["updated_at"]!.GetValue<string>());
    }
}
