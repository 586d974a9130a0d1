using System.Diagnostics;
using System.Text.Json.Nodes;
using Dapper;
using SqlStudio.Contracts;
using SqlStudio.Server.Data;

namespace SqlStudio.Server.Sync;

/// <summary>A page of changes: rows per type, written to the wire by <see cref="ChangesPage.WriteAsync"/>.</summary>
public sealed record ChangesPage(IReadOnlyList<(EntitySpec Spec, List<SyncRow> Rows)> Changes, long NextCursor, bool HasMore, string Timestamp)
{
    public int Count => Changes.Sum(c => c.Rows.Count);

    /// <summary>The <c>changes</c> response (docs/sync.md, "Pulling"), written straight from the rows: no object per value on the way.</summary>
    public async Task WriteAsync(Stream body, CancellationToken cancellationToken)
    {
        await using var writer = new System.Text.Json.Utf8JsonWriter(body);
        writer.WriteStartObject();
        writer.WriteStartObject("changes");
        foreach (var (spec, rows) in Changes)
        {
            writer.WriteStartArray(spec.Type);
            foreach (var row in rows)
            {
                SyncRecords.Write(writer, spec, row);
                if (writer.BytesPending > 64 * 1024)
                {
                    await writer.FlushAsync(cancellationToken);
                }
            }
            writer.WriteEndArray();
        }
        writer.WriteEndObject();
        writer.WriteNumber("next_cursor", NextCursor);
        writer.WriteBoolean("has_more", HasMore);
        writer.WriteString("timestamp", Timestamp);
        writer.WriteEndObject();
        await writer.FlushAsync(cancellationToken);
    }
}

/// <summary>Cursor pulls: the changes after a cursor, in server order, a page at a time.</summary>
public sealed class PullService(Db db, SyncOptions options, SyncMetrics metrics, TimeProvider time)
{
    public async Task<Outcome<ChangesPage>> ChangesAsync(string userId, long cursor, int? limit, string? types, string? deviceId,
        CancellationToken cancellationToken = default)
    {
        var take = limit ?? options.DefaultPageSize;
        var errors = new Dictionary<string, string[]>();
        if (cursor < 0)
        {
            errors["cursor"] = ["cursor is 0 (everything) or a next_cursor this server returned."];
        }
        if (take < 1 || take > options.MaxPageSize)
        {
            errors["limit"] = [$"limit is between 1 and {options.MaxPageSize}."];
        }
        var specs = EntityCatalogue.All;
        if (!string.IsNullOrWhiteSpace(types))
        {
            var names = types.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            var unknown = names.Where(n => EntityCatalogue.Find(n) is null).ToList();
            if (unknown.Count > 0)
            {
                errors["types"] = [$"Unknown type(s): {string.Join(", ", unknown)}."];
            }
            else if (names.Length == 0)
            {
                errors["types"] = ["types is a comma-separated list of entity types, or left out for all of them."];
            }
            specs = EntityCatalogue.All.Where(s => names.Contains(s.Type)).ToList();
        }
        if (deviceId is not null && !PushService.IsId(deviceId))
        {
            errors["device_id"] = [$"device_id: {IdRules.Shape}."];
        }
        if (errors.Count > 0)
        {
            return Failure.Validation(errors);
        }

        var watch = Stopwatch.StartNew();
        var page = await ReadPageAsync(userId, cursor, take, specs, cancellationToken);
        if (page is null)
        {
            return new Failure(410, SyncErrorCodes.ResyncRequired,
                "This device's cursor is outside what the server holds (it was offline longer than deleted records are kept, " +
                "or the server's data was restored from a backup). Pull again from cursor 0 to rebuild its copy.");
        }
        var count = page.Count;
        if (deviceId is not null || count > 0)
        {
            // The device's last sync and the activity line: one write batch (one round trip), after the read.
            var now = StoredTime.Format(time.GetUtcNow());
            var revoked = false;
            var writes = new SqlBatch();
            if (deviceId is not null)
            {
                DeviceStore.SeenFirst(userId, deviceId, now).AddTo(writes);
                DeviceStore.ReadRevoked(writes, userId, deviceId, r => revoked = r);
                DeviceStore.Synced(userId, deviceId, page.NextCursor, now).AddTo(writes);
            }
            if (count > 0)
            {
                ActivityStore.Insert(userId, deviceId, "pull", count, 0, 0, watch.Elapsed, null, now).AddTo(writes);
            }
            await db.WriteBatchAsync(writes, cancellationToken);
            if (revoked)
            {
                return Devices.RevokedFailure;
            }
        }
        foreach (var (spec, rows) in page.Changes)
        {
            metrics.Records("pull", spec.Type, rows.Count);
        }
        return page;
    }

    /// <summary>
    /// The page after <paramref name="cursor"/> in one read batch (one round trip) of two statements: the user's horizon
    /// and head, and the page's rows of every type in cursor order. Null when the cursor is outside what the server holds.
    /// </summary>
    private async Task<ChangesPage?> ReadPageAsync(string userId, long cursor, int take, IReadOnlyList<EntitySpec> specs,
        CancellationToken cancellationToken)
    {
        long purged = 0, head = 0;
        var rows = new List<(EntitySpec Spec, SyncRow Row)>();
        var reads = new SqlBatch()
            .Read(SyncStore.PurgedAndCurrentSeq, new { userId }, async reader =>
            {
                if (await reader.ReadAsync())
                {
                    (purged, head) = (reader.GetInt64(0), reader.GetInt64(1));
                }
            });
        // One row more than the page: whether there is more.
        SyncStore.LoadPage(reads, specs, userId, cursor, take + 1, found => rows = found);
        await db.ReadBatchAsync(reads, cancellationToken);
        // Behind the purge horizon, deletions were lost; ahead of the head, the database was restored to an
        // earlier point (a backup) and the device holds changes the server no longer has. Both rebuild from 0.
        if (cursor > 0 && (cursor < purged || cursor > head))
        {
            return null;
        }
        var hasMore = rows.Count > take;
        if (hasMore)
        {
            rows.RemoveAt(rows.Count - 1);
        }
        var pageEnd = rows.Count == 0 ? cursor : rows[^1].Row.ServerSeq;
        var byType = rows.ToLookup(r => r.Spec, r => r.Row);
        var changes = specs.Where(byType.Contains).Select(s => (s, byType[s].ToList())).ToList();
        return new ChangesPage(changes, pageEnd, hasMore, StoredTime.Format(time.GetUtcNow()));
    }

    /// <summary>The user's cursor alone.</summary>
    public async Task<long> CursorAsync(string userId, CancellationToken cancellationToken = default)
    {
        long cursor = 0;
        await db.ReadBatchAsync(new SqlBatch().Query<long>(SyncStore.CurrentSeq, new { userId },
            rows => cursor = rows.FirstOrDefault()), cancellationToken);
        return cursor;
    }

    /// <summary>The user's cursor and live counts: one statement, whatever the number of records (migration 0006 keeps the counts).</summary>
    public async Task<HeadResponse> HeadAsync(string userId, CancellationToken cancellationToken = default)
    {
        var counts = EntityCatalogue.All.ToDictionary(s => s.Type, _ => 0L);
        long cursor = 0;
        await db.ReadBatchAsync(new SqlBatch().Read(
            SyncStore.Counts, new { userId }, async reader =>
            {
                while (await reader.ReadAsync())
                {
                    if (reader.IsDBNull(0))
                    {
                        cursor = reader.GetInt64(1);
                    }
                    else if (counts.ContainsKey(reader.GetString(0)))
                    {
                        counts[reader.GetString(0)] = reader.GetInt64(1);
                    }
                }
            }), cancellationToken);
        return new HeadResponse(cursor, counts, StoredTime.Format(time.GetUtcNow()));
    }
}
