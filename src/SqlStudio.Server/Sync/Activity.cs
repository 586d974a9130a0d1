using Dapper;
using SqlStudio.Contracts;
using SqlStudio.Server.Data;

namespace SqlStudio.Server.Sync;

/// <summary>The sync activity log: one row per push, pull, import or resolution, shown on /account/sync.</summary>
public static class Activity
{
    public static Task RecordAsync(Db db, string userId, string? deviceId, string kind, int records, int conflicts, long bytes,
        TimeSpan duration, string? error, TimeProvider time) =>
        db.WriteAsync((c, t) => Insert(userId, deviceId, kind, records, conflicts, bytes, duration, error, Clock.Format(time.GetUtcNow())).RunAsync(c, t));

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
}
