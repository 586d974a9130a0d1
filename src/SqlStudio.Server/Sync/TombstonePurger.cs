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
                await c.ExecuteAsync(SyncStore.RaisePurgedSeq(spec.Table), new { horizon }, t);
                count += await c.ExecuteAsync(SyncStore.DeleteTombstones(spec.Table), new { horizon }, t);
            }
            await c.ExecuteAsync(SyncStore.ForgetMutations, new { horizon }, t);
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
