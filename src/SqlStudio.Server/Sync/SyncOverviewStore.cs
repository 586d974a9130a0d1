using Dapper;
using SqlStudio.Contracts;
using SqlStudio.Server.Data;

namespace SqlStudio.Server.Sync;

/// <summary>What the pages show of an account's sync at a glance: the header's chip and the activity runs.</summary>
public sealed class SyncOverviewStore(Db db)
{
    /// <summary>Unresolved conflicts and the latest sync of any device (null when none has synced).</summary>
    public Task<(long Conflicts, string? LastSync)> HeaderAsync(string userId) =>
        db.ReadAsync(c => c.QuerySingleAsync<(long, string?)>(
            """
            SELECT (SELECT count(*) FROM sync_conflicts WHERE user_id = @userId AND status = 'unresolved'),
                   (SELECT max(last_sync_at) FROM devices WHERE user_id = @userId)
            """, new { userId }));

    /// <summary>The latest runs (<see cref="ActivityStore.Runs"/>) from the last 200 activity lines.</summary>
    public async Task<IReadOnlyList<SyncRun>> RecentRunsAsync(string userId, int count) =>
        ActivityStore.Runs(await ActivityStore.RecentAsync(db, userId, 200), TimeSpan.FromMinutes(2)).Take(count).ToList();
}
