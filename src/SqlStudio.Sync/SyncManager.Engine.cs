using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dapper;
using SqlStudio.Contracts;

namespace SqlStudio.Sync;

public sealed partial class SyncManager
{
    private static readonly HashSet<string> Meta = ["id", "version", "server_seq", "updated_at", "updated_by_device", "deleted"];

    /// <summary>Pushes everything waiting (due or not), then pulls; fails if either could not finish.</summary>
    public async Task<SyncResult> SyncNowAsync(IProgress<SyncProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        await _round.WaitAsync(cancellationToken);
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            await PublishAsync(SyncState.Syncing);
            var (pushed, conflicts, rejected) = await PushCoreAsync(dueOnly: false, progress, cancellationToken);
            var pulled = await PullCoreAsync(progress, cancellationToken);
            var took = System.Diagnostics.Stopwatch.GetElapsedTime(started);
            Metrics.Round(took);
            await PublishAsync(SyncState.Idle, syncedAt: _time.GetUtcNow(), roundMs: (long)took.TotalMilliseconds);
            await _store.SetMetaAsync("last_synced_at", Stamp(_time.GetUtcNow()));
            return new SyncResult(pushed, pulled, conflicts, rejected);
        }
        catch (OfflineException ex)
        {
            Metrics.Error("offline");
            await PublishAsync(SyncState.Offline, ex.Message);
            throw;
        }
        catch (SignedOutException ex)
        {
            await PublishAsync(SyncState.SignedOut, ex.Message);
            throw;
        }
        catch (SyncApiException ex)
        {
            Metrics.Error("error");
            await PublishAsync(SyncState.Error, ex.Message);
            throw;
        }
        finally
        {
            _round.Release();
        }
    }

    /// <summary>Pushes what is due now (what the background worker does each round); the number of mutations sent.</summary>
    public async Task<int> PushDueAsync(CancellationToken cancellationToken = default)
    {
        await _round.WaitAsync(cancellationToken);
        try
        {
            return (await PushCoreAsync(dueOnly: true, null, cancellationToken)).Pushed;
        }
        finally
        {
            _round.Release();
        }
    }

    /// <summary>Pulls every change since the stored cursor, a page per local transaction.</summary>
    public async Task<int> PullChangesAsync(IProgress<SyncProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        await _round.WaitAsync(cancellationToken);
        try
        {
            return await PullCoreAsync(progress, cancellationToken);
        }
        finally
        {
            _round.Release();
        }
    }

    private async Task<(int Pushed, int Conflicts, List<MutationResult> Rejected)> PushCoreAsync(bool dueOnly, IProgress<SyncProgress>? progress, CancellationToken ct)
    {
        var deviceId = await DeviceIdAsync();
        var (pushed, conflicts) = (0, 0);
        var rejected = new List<MutationResult>();
        var total = await _store.PendingCountAsync();
        while (true)
        {
            var batch = await _store.OutboxAsync(dueOnly ? Stamp(_time.GetUtcNow()) : null, _options.PushBatchSize);
            if (batch.Count == 0)
            {
                return (pushed, conflicts, rejected);
            }
            var mutations = batch.Select(e => new Mutation(e.MutationId, e.Type, e.Id, e.Op, e.BaseVersion, e.UpdatedAt,
                e.Data is null ? null : JsonSerializer.SerializeToElement(e.Data))).ToList();
            Interlocked.Increment(ref _pushRequests);
            var response = await _api.PushAsync(Server, deviceId, mutations, ct, pending: Math.Max(0, total - pushed));
            var notices = await _store.WriteAsync(async (c, t) =>
            {
                var found = new List<ConflictNotice>();
                for (var i = 0; i < batch.Count; i++)
                {
                    var (entry, result) = (batch[i], response.Results[i]);
                    var current = await LocalStore.PendingAsync(c, t, entry.Type, entry.Id);
                    var unchanged = current?.MutationId == entry.MutationId;
                    if (unchanged)
                    {
                        await LocalStore.DequeueAsync(c, t, current!.Seq);
                    }
                    if (result.Status == MutationStatus.Rejected)
                    {
                        rejected.Add(result);
                        continue;
                    }
                    if (result.Record is { } record)
                    {
                        await ApplyServerRecordAsync(c, t, entry.Type, record, unchanged ? null : current);
                        if (!unchanged && current is not null)
                        {
                            // Changed again while this push was in flight: the new change builds on what the server now has.
                            await LocalStore.RebaseAsync(c, t, current.Seq, record["version"]!.GetValue<long>());
                        }
                    }
                    else if (unchanged && result.Version > 0)
                    {
                        await LocalStore.RaiseVersionAsync(c, t, entry.Type, entry.Id, result.Version);
                    }
                    if (result.ConflictId is { } conflictId && result.Status is MutationStatus.ConflictWon or MutationStatus.ConflictLost)
                    {
                        await LocalStore.AddConflictAsync(c, t, conflictId, entry.Type, entry.Id, result.Status);
                        var local = await LocalStore.GetAsync(c, t, entry.Type, entry.Id);
                        var title = local is null ? null : RecordTitles.Of(entry.Type, entry.Id,
                            field => local.Data[field] is JsonValue v && v.TryGetValue<string>(out var text) ? text : null);
                        found.Add(new ConflictNotice(conflictId, entry.Type, entry.Id, result.Status, title));
                    }
                }
                return found;
            });
            pushed += batch.Count;
            conflicts += notices.Count;
            Metrics.Conflicts(notices.Count);
            foreach (var notice in notices)
            {
                ConflictDetected?.Invoke(this, notice);
            }
            progress?.Report(new SyncProgress("push", Math.Min(pushed, total), Math.Max(total, pushed)));
            if (batch.Count < _options.PushBatchSize && dueOnly)
            {
                return (pushed, conflicts, rejected);
            }
        }
    }

    private async Task<int> PullCoreAsync(IProgress<SyncProgress>? progress, CancellationToken ct)
    {
        var deviceId = await DeviceIdAsync();
        var start = long.Parse(await _store.GetMetaAsync("cursor") ?? "0");
        var cursor = start;
        var pulled = 0;
        long? total = null;
        Task<JsonDocument>? prefetched = null;
        while (true)
        {
            JsonDocument document;
            try
            {
                document = await (prefetched ?? _api.ChangesDocumentAsync(Server, cursor, deviceId, ct));
                prefetched = null;
            }
            catch (SyncApiException ex) when (ex.Status == HttpStatusCode.Gone)
            {
                // Offline longer than deletions are kept: rebuild from scratch, keeping what is still to push.
                await _store.WriteAsync(async (c, t) =>
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
                prefetched = _api.ChangesDocumentAsync(Server, nextCursor, deviceId, ct);
            }
            if (progress is not null)
            {
                // Only a caller that shows progress pays for knowing the total (the worker's live pulls do not).
                total ??= Math.Max(1, (await _api.HeadAsync(Server, ct)).Cursor - start);
            }
            var types = new HashSet<string>();
            var applied = await _store.WriteAsync(async (c, t) =>
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
            pulled += applied;
            if (applied > 0)
            {
                ChangesPulled?.Invoke(this, new PulledChanges(applied, types));
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
                return pulled;
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
    private static async Task ApplyServerRecordAsync(Microsoft.Data.Sqlite.SqliteConnection c, Microsoft.Data.Sqlite.SqliteTransaction t, string type,
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
