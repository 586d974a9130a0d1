namespace SqlStudio.Server.Data;

/// <summary>
/// Background jobs that must run on one instance at a time (tombstone purge, retention) take a lease in the database
/// (<c>job_leases</c>) before each run: the instance that gets it runs the job and holds it for the job's interval, the
/// others skip that turn. An instance that dies holding a lease loses it when the lease runs out.
/// </summary>
public sealed class JobLeases(Db db, TimeProvider time)
{
    private readonly string _owner = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid():N}";

    /// <summary>True when this instance now holds <paramref name="job"/> for <paramref name="holdFor"/> (and should run it).</summary>
    public async Task<bool> TryAcquireAsync(string job, TimeSpan holdFor, CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        var acquired = false;
        await db.WriteBatchAsync(new SqlBatch().Query<string>(
            """
            INSERT INTO job_leases (job, owner, lease_until, last_run_at) VALUES (@job, @owner, @until, @now)
            ON CONFLICT (job) DO UPDATE SET owner = excluded.owner, lease_until = excluded.lease_until, last_run_at = excluded.last_run_at
            WHERE job_leases.lease_until <= @now OR job_leases.owner = @owner
            RETURNING owner
            """,
            new { job, owner = _owner, until = StoredTime.Format(now + holdFor), now = StoredTime.Format(now) }, rows => acquired = rows.Count == 1),
            cancellationToken);
        return acquired;
    }
}

/// <summary>
/// A background job run every <see cref="Interval"/> by the one instance that takes its lease for that interval (the
/// others skip the turn); a failed run is logged and runs again next time.
/// </summary>
public abstract class LeasedJob(JobLeases leases, TimeProvider time, ILogger logger) : BackgroundService
{
    /// <summary>The clock the job runs on (its timer, and the ages it purges by).</summary>
    protected TimeProvider Time { get; } = time;

    /// <summary>The lease's name (one per job).</summary>
    protected abstract string Job { get; }

    protected abstract TimeSpan Interval { get; }

    /// <summary>One run of the job.</summary>
    protected abstract Task RunOnceAsync(CancellationToken cancellationToken);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, Time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    if (await leases.TryAcquireAsync(Job, Interval, stoppingToken))
                    {
                        await RunOnceAsync(stoppingToken);
                    }
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    logger.LogError(ex, "Job {Job} failed; it runs again at the next interval", Job);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
