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

    /// <summary>The <c>changes</c> response (API.md), written straight from the rows: no object per value on the way.</summary>
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
    public async Task<Outcome<ChangesPage>> ChangesAsync(string userId, long cursor, int? limit, string? types, string? deviceId)
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
            specs = EntityCatalogue.All.Where(s => names.Contains(s.Type)).ToList();
        }
        if (deviceId is not null && !PushService.IsId(deviceId))
        {
            errors["device_id"] = ["device_id: up to 100 letters, digits, '-', '_', '.' or ':'."];
        }
        if (errors.Count > 0)
        {
            return Failure.Validation(errors);
        }

        var watch = Stopwatch.StartNew();
        var response = await db.ReadAsync(async c =>
        {
            var (purged, head) = await c.QuerySingleAsync<(long, long)>(
                "SELECT sync_purged_seq, sync_seq FROM users WHERE user_id = @userId", new { userId });
            // Behind the purge horizon, deletions were lost; ahead of the head, the database was restored to an
            // earlier point (a backup) and the device holds changes the server no longer has. Both rebuild from 0.
            if (cursor > 0 && (cursor < purged || cursor > head))
            {
                return null;
            }
            var (pageEnd, _, hasMore) = await SyncStore.PageAsync(c, userId, cursor, take, specs);
            var changes = new List<(EntitySpec, List<SyncRow>)>();
            if (pageEnd > cursor)
            {
                foreach (var spec in specs)
                {
                    var rows = await SyncStore.RangeAsync(c, null, spec, userId, cursor, pageEnd);
                    if (rows.Count > 0)
                    {
                        changes.Add((spec, rows));
                    }
                }
            }
            return new ChangesPage(changes, pageEnd, hasMore, Clock.Format(time.GetUtcNow()));
        });
        if (response is null)
        {
            return new Failure(410, SyncErrorCodes.ResyncRequired,
                "This device's cursor is outside what the server holds (it was offline longer than deleted records are kept, " +
                "or the server's data was restored from a backup). Pull again from cursor 0 to rebuild its copy.");
        }
        var count = response.Count;
        if (deviceId is not null)
        {
            var active = await db.WriteAsync(async (c, t) =>
            {
                var now = Clock.Format(time.GetUtcNow());
                if (!await Devices.EnsureAsync(c, t, userId, deviceId, now))
                {
                    return false;
                }
                await Devices.MarkSyncedAsync(c, t, userId, deviceId, response.NextCursor, now);
                return true;
            });
            if (!active)
            {
                return Devices.RevokedFailure;
            }
        }
        metrics.Record("pull", count, 0, 0, watch.Elapsed);
        if (count > 0)
        {
            await Activity.RecordAsync(db, userId, deviceId, "pull", count, 0, 0, watch.Elapsed, null, time);
        }
        return response;
    }

    public async Task<HeadResponse> HeadAsync(string userId)
    {
        return await db.ReadAsync(async c =>
        {
            var counts = new Dictionary<string, long>();
            foreach (var spec in EntityCatalogue.All)
            {
                counts[spec.Type] = await SyncStore.CountLiveAsync(c, spec, userId);
            }
            return new HeadResponse(await SyncStore.CurrentSeqAsync(c, null, userId), counts, Clock.Format(time.GetUtcNow()));
        });
    }
}
