using System.ComponentModel.DataAnnotations;

namespace SqlStudio.Server.Sync;

/// <summary>The <c>Sync</c> section.</summary>
public sealed class SyncOptions
{
    public const string Section = "Sync";

    [Range(1, 100000, ErrorMessage = "must be between {1} and {2}.")]

    public int MaxMutationsPerPush { get; set; } = 1000;
    [Range(1, 100000, ErrorMessage = "must be between {1} and {2}.")]
    public int DefaultPageSize { get; set; } = 500;
    [Range(1, 100000, ErrorMessage = "must be between {1} and {2}.")]
    public int MaxPageSize { get; set; } = 1000;
    [Range(1, 100000, ErrorMessage = "must be between {1} and {2}.")]
    public int MaxImportRecords { get; set; } = 50;

    /// <summary>
    /// How long a push waits its turn behind the same account's other pushes (on this instance, in order; across
    /// instances, reading again after a short jittered pause) before it answers 503 <c>sync_busy</c> with Retry-After.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:10:00", ErrorMessage = "must be more than zero and at most 10 minutes.")]
    public TimeSpan PushWaitBudget { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Largest push or import body (after decompression).</summary>
    [Range(1024L, long.MaxValue, ErrorMessage = "must be at least 1024 bytes.")]
    public long MaxBodyBytes { get; set; } = 32 * 1024 * 1024;

    /// <summary>How long tombstones (and idempotency records) are kept; never less than 90 days.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "3650.00:00:00", ErrorMessage = "must be more than zero and at most 3650 days.")]
    public TimeSpan TombstoneRetention { get; set; } = TimeSpan.FromDays(90);

    [Range(typeof(TimeSpan), "00:00:00.001", "3650.00:00:00", ErrorMessage = "must be more than zero and at most 3650 days.")]

    public TimeSpan PurgeInterval { get; set; } = TimeSpan.FromHours(6);

    /// <summary>A device time further ahead of the server than this counts as the server's time.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "3650.00:00:00", ErrorMessage = "must be zero or more, at most 3650 days.")]
    public TimeSpan MaxClockSkew { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Pulling stays allowed this long after a subscription ends.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "3650.00:00:00", ErrorMessage = "must be zero or more, at most 3650 days.")]
    public TimeSpan PullGraceAfterEnd { get; set; } = TimeSpan.FromDays(30);

    public EventsOptions Events { get; set; } = new();

    public HeadOptions Head { get; set; } = new();
}

/// <summary><c>Sync:Events</c>: the Server-Sent Events stream (docs/sync.md).</summary>
public sealed class EventsOptions
{
    /// <summary>A <c>: ping</c> comment on every idle stream this often, so proxies and clients know it is alive.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(15);

    public int MaxStreamsPerUser { get; set; } = 10;

    /// <summary>The reconnection delay suggested to clients (<c>retry:</c>), also when the server shuts down.</summary>
    public TimeSpan RetryHint { get; set; } = TimeSpan.FromSeconds(2);
}

/// <summary><c>Sync:Head</c>: long-poll on head.</summary>
public sealed class HeadOptions
{
    public TimeSpan MaxWait { get; set; } = TimeSpan.FromSeconds(30);
}
