namespace SqlStudio.Server.Sync;

/// <summary>The <c>Sync</c> section.</summary>
public sealed class SyncOptions
{
    public const string Section = "Sync";

    public int MaxMutationsPerPush { get; set; } = 1000;
    public int DefaultPageSize { get; set; } = 500;
    public int MaxPageSize { get; set; } = 1000;
    public int MaxImportRecords { get; set; } = 50;

    /// <summary>Largest push or import body (after decompression).</summary>
    public long MaxBodyBytes { get; set; } = 32 * 1024 * 1024;

    /// <summary>How long tombstones (and idempotency records) are kept; never less than 90 days.</summary>
    public TimeSpan TombstoneRetention { get; set; } = TimeSpan.FromDays(90);

    public TimeSpan PurgeInterval { get; set; } = TimeSpan.FromHours(6);

    /// <summary>A device time further ahead of the server than this counts as the server's time.</summary>
    public TimeSpan MaxClockSkew { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Pulling stays allowed this long after a subscription ends.</summary>
    public TimeSpan PullGraceAfterEnd { get; set; } = TimeSpan.FromDays(30);
}
