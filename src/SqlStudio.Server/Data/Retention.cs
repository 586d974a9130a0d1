using System.ComponentModel.DataAnnotations;

namespace SqlStudio.Server.Data;

/// <summary>The <c>Retention</c> section: how long event tables keep their rows.</summary>
public sealed class RetentionOptions
{
    public const string Section = "Retention";

    /// <summary>Sync activity lines and processed Stripe event ids older than this are purged.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "3650.00:00:00", ErrorMessage = "must be more than zero and at most 3650 days.")]
    public TimeSpan EventAge { get; set; } = TimeSpan.FromDays(90);

    /// <summary>Audit lines (security events) are kept longer.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "3650.00:00:00", ErrorMessage = "must be more than zero and at most 3650 days.")]
    public TimeSpan AuditAge { get; set; } = TimeSpan.FromDays(365);

    /// <summary>How often the purge runs (one instance per run: it holds the job's lease).</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "3650.00:00:00", ErrorMessage = "must be more than zero and at most 3650 days.")]
    public TimeSpan Interval { get; set; } = TimeSpan.FromHours(1);
}

/// <summary>
/// Purges event tables past their age (<see cref="RetentionOptions"/>): <c>sync_activity</c> and <c>stripe_events</c>
/// after <c>Retention:EventAge</c> (90 days), <c>audit_log</c> after <c>Retention:AuditAge</c> (365 days). Every
/// instance runs the timer; the one holding the "retention" lease does the work.
/// </summary>
public sealed class RetentionJob(Db db, JobLeases leases, RetentionOptions options, TimeProvider time, ILogger<RetentionJob> logger)
    : LeasedJob(leases, time, logger)
{
    /// <summary>One purge; how many rows went.</summary>
    public async Task<int> PurgeAsync(CancellationToken cancellationToken = default)
    {
        var now = Time.GetUtcNow();
        var events = StoredTime.Format(now - options.EventAge);
        var audit = StoredTime.Format(now - options.AuditAge);
        var purged = 0;
        await db.WriteBatchAsync(new SqlBatch()
            .Query<long>("DELETE FROM sync_activity WHERE created_at < @events RETURNING 1", new { events }, rows => purged += rows.Count)
            .Query<long>("DELETE FROM stripe_events WHERE processed_at < @events RETURNING 1", new { events }, rows => purged += rows.Count)
            .Query<long>("DELETE FROM audit_log WHERE created_at < @audit RETURNING 1", new { audit }, rows => purged += rows.Count),
            cancellationToken);
        if (purged > 0)
        {
            logger.LogInformation("Retention: purged {Count} rows (events before {Events}, audit before {Audit})", purged, events, audit);
        }
        return purged;
    }

    protected override string Job => "retention";

    protected override TimeSpan Interval => options.Interval;

    protected override Task RunOnceAsync(CancellationToken cancellationToken) => PurgeAsync(cancellationToken);
}
