using Dapper;
using SqlStudio.Server.Data;

namespace SqlStudio.Server.Sync;

/// <summary>
/// Removes tombstones (and idempotency records) older than <c>Sync:TombstoneRetention</c>, raising each user's
/// purge horizon so a device whose cursor is older re-bootstraps instead of missing deletions. With several instances,
/// the one holding the job's lease (<see cref="JobLeases"/>) runs it.
/// </summary>
public sealed class TombstonePurger(Db db, JobLeases leases, SyncOptions options, TimeProvider time, ILogger<TombstonePurger> logger)
    : LeasedJob(leases, time, logger)
{
    public static readonly TimeSpan MinimumRetention = TimeSpan.FromDays(90);

    public async Task<int> PurgeAsync(CancellationToken cancellationToken = default)
    {
        var retention = options.TombstoneRetention < MinimumRetention ? MinimumRetention : options.TombstoneRetention;
        var horizon = StoredTime.Format(Time.GetUtcNow() - retention);
        var purged = await db.WriteAsync(async (c, t) =>
        {
            var count = 0;
            foreach (var spec in EntityCatalogue.All)
            {
                await c.ExecuteAsync(
                    $"""
                    UPDATE users SET sync_purged_seq = max(sync_purged_seq,
                        (SELECT max(server_seq) FROM {spec.Table} x WHERE x.user_id = users.user_id AND x.deleted_at < @horizon))
                    WHERE user_id IN (SELECT user_id FROM {spec.Table} WHERE deleted_at < @horizon)
                    """, new { horizon }, t);
                count += await c.ExecuteAsync($"DELETE FROM {spec.Table} WHERE deleted_at < @horizon", new { horizon }, t);
            }
            await c.ExecuteAsync("DELETE FROM sync_mutations WHERE applied_at < @horizon", new { horizon }, t);
            return count;
        }, cancellationToken);
        if (purged > 0)
        {
            logger.LogInformation("Purged {Count} tombstones older than {Horizon}", purged, horizon);
        }
        return purged;
    }

    protected override string Job => "tombstone-purge";

    protected override TimeSpan Interval => options.PurgeInterval;

    protected override Task RunOnceAsync(CancellationToken cancellationToken) => PurgeAsync(cancellationToken);
}
