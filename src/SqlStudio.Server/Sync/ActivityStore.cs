using Dapper;
using SqlStudio.Contracts;
using SqlStudio.Server.Data;

namespace SqlStudio.Server.Sync;

/// <summary>The sync activity log: one row per push, pull, import or resolution, shown on /account/sync.</summary>
public static class ActivityStore
{
    public static Task RecordAsync(Db db, string userId, string? deviceId, string kind, int records, int conflicts, long bytes,
        TimeSpan duration, string? error, TimeProvider time, string? runId = null, int refused = 0) =>
        db.WriteAsync((c, t) => Insert(userId, deviceId, kind, records, conflicts, bytes, duration, error, StoredTime.Format(time.GetUtcNow()),
            runId, refused).RunAsync(c, t));

    /// <summary>The activity line as a statement, for a write batch that records it with the change itself.</summary>
    public static SqlStatement Insert(string userId, string? deviceId, string kind, int records, int conflicts, long bytes,
        TimeSpan duration, string? error, string now, string? runId = null, int refused = 0) =>
        new("""
            INSERT INTO sync_activity (activity_id, user_id, device_id, kind, records, conflicts, bytes, duration_ms, error, created_at, run_id, refused)
            VALUES (@id, @userId, @deviceId, @kind, @records, @conflicts, @bytes, @ms, @error, @now, @runId, @refused)
            """,
            new Dictionary<string, object?>
            {
                ["id"] = Guid.CreateVersion7().ToString(), ["userId"] = userId, ["deviceId"] = deviceId, ["kind"] = kind, ["records"] = records,
                ["conflicts"] = conflicts, ["bytes"] = bytes, ["ms"] = (long)duration.TotalMilliseconds, ["error"] = error, ["now"] = now,
                ["runId"] = runId, ["refused"] = refused,
            });

    public static async Task<IReadOnlyList<ActivityInfo>> RecentAsync(Db db, string userId, int limit) =>
        (await db.ReadAsync(c => c.QueryAsync<ActivityInfo>(
            """
            SELECT activity_id, device_id, kind, records, conflicts, bytes, duration_ms, error, created_at, run_id, refused
            FROM sync_activity WHERE user_id = @userId ORDER BY created_at DESC, activity_id DESC LIMIT @limit
            """, new { userId, limit }))).ToList();

    /// <summary>
    /// Activity lines (newest first) folded into runs as the person saw them: a device's pushes and pulls with no more
    /// than <paramref name="gap"/> between one and the next are one run ("sent 3, received 120"); the batches of one
    /// import are one run ("imported 10,000 records, 2 refused"), and its undo another.
    /// </summary>
    public static IReadOnlyList<SyncRun> Runs(IReadOnlyList<ActivityInfo> newestFirst, TimeSpan gap)
    {
        var runs = new List<SyncRun>();
        var imports = new Dictionary<(string Kind, string RunId), int>();
        SyncRun? current = null;
        DateTimeOffset earliest = default;
        foreach (var line in newestFirst)
        {
            var at = StoredTime.Parse(line.CreatedAt);
            var sync = line.Kind is "push" or "pull";
            if (!sync && line.RunId is { } runId && imports.TryGetValue((line.Kind, runId), out var index))
            {
                var run = runs[index];
                runs[index] = run with
                {
                    Started = line.CreatedAt,
                    Sent = run.Sent + line.Records,
                    Refused = run.Refused + line.Refused,
                    Errors = line.Error is null ? run.Errors : [.. run.Errors, line.Error],
                };
                continue;
            }
            if (current is not null && sync && current.Kind == "sync" && current.DeviceId == line.DeviceId && earliest - at <= gap)
            {
                current = current with
                {
                    Started = line.CreatedAt,
                    Sent = current.Sent + (line.Kind == "push" ? line.Records : 0),
                    Received = current.Received + (line.Kind == "pull" ? line.Records : 0),
                    Conflicts = current.Conflicts + line.Conflicts,
                    Errors = line.Error is null ? current.Errors : [.. current.Errors, line.Error],
                };
                runs[^1] = current;
            }
            else
            {
                current = new SyncRun(line.DeviceId, sync ? "sync" : line.Kind, line.CreatedAt, line.CreatedAt,
                    line.Kind == "pull" ? 0 : line.Records, line.Kind == "pull" ? line.Records : 0, line.Conflicts,
                    line.Error is null ? [] : [line.Error], line.Refused);
                runs.Add(current);
                if (!sync && line.RunId is { } id)
                {
                    imports[(line.Kind, id)] = runs.Count - 1;
                }
            }
            earliest = at;
        }
        return runs;
    }
}

/// <summary>
/// One run on /account/sync: what a device sent and received in one go, or one import (all its batches; the records
/// it refused are counted, not a failure), or one undo of an import.
/// </summary>
public sealed record SyncRun(string? DeviceId, string Kind, string Started, string Ended, long Sent, long Received, long Conflicts,
    IReadOnlyList<string> Errors, long Refused = 0);
