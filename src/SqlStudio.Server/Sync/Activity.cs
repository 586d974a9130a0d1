using Dapper;
using SqlStudio.Contracts;
using SqlStudio.Server.Data;

namespace SqlStudio.Server.Sync;

/// <summary>The sync activity log: one row per push, pull, import or resolution, shown on /account/sync.</summary>
public static class Activity
{
    public static Task RecordAsync(Db db, string userId, string? deviceId, string kind, int records, int conflicts, long bytes,
        TimeSpan duration, string? error, TimeProvider time) =>
        db.WriteAsync((c, t) => Insert(userId, deviceId, kind, records, conflicts, bytes, duration, error, StoredTime.Format(time.GetUtcNow())).RunAsync(c, t));

    /// <summary>The activity line as a statement, for a write batch that records it with the change itself.</summary>
    public static SqlStatement Insert(string userId, string? deviceId, string kind, int records, int conflicts, long bytes,
        TimeSpan duration, string? error, string now) =>
        new("""
            INSERT INTO sync_activity (activity_id, user_id, device_id, kind, records, conflicts, bytes, duration_ms, error, created_at)
            VALUES (@id, @userId, @deviceId, @kind, @records, @conflicts, @bytes, @ms, @error, @now)
            """,
            new Dictionary<string, object?>
            {
                ["id"] = Guid.CreateVersion7().ToString(), ["userId"] = userId, ["deviceId"] = deviceId, ["kind"] = kind, ["records"] = records,
                ["conflicts"] = conflicts, ["bytes"] = bytes, ["ms"] = (long)duration.TotalMilliseconds, ["error"] = error, ["now"] = now,
            });

    public static async Task<IReadOnlyList<ActivityInfo>> RecentAsync(Db db, string userId, int limit) =>
        (await db.ReadAsync(c => c.QueryAsync<ActivityInfo>(
            """
            SELECT activity_id, device_id, kind, records, conflicts, bytes, duration_ms, error, created_at
            FROM sync_activity WHERE user_id = @userId ORDER BY created_at DESC, activity_id DESC LIMIT @limit
            """, new { userId, limit }))).ToList();

    /// <summary>
    /// Activity lines (newest first) folded into sync runs: a device's pushes and pulls with no more than
    /// <paramref name="gap"/> between one and the next are one run, as the person saw it ("sent 3, received 120");
    /// an import is a run of its own.
    /// </summary>
    public static IReadOnlyList<SyncRun> Runs(IReadOnlyList<ActivityInfo> newestFirst, TimeSpan gap)
    {
        var runs = new List<SyncRun>();
        SyncRun? current = null;
        DateTimeOffset earliest = default;
        foreach (var line in newestFirst)
        {
            var at = StoredTime.Parse(line.CreatedAt);
            var sync = line.Kind is "push" or "pull";
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
                    line.Error is null ? [] : [line.Error]);
                runs.Add(current);
            }
            earliest = at;
        }
        return runs;
    }
}

/// <summary>One sync run on /account/sync: what a device sent and received in one go (or one import).</summary>
public sealed record SyncRun(string? DeviceId, string Kind, string Started, string Ended, long Sent, long Received, long Conflicts,
    IReadOnlyList<string> Errors);
