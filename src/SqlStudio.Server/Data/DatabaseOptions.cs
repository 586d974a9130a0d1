using System.ComponentModel.DataAnnotations;

namespace SqlStudio.Server.Data;

/// <summary>The <c>Database</c> configuration section (docs/configuration.md).</summary>
public sealed class DatabaseOptions
{
    public const string Section = "Database";

    /// <summary><c>sqlite</c> (embedded file) or <c>libsql</c> (Turso / libSQL over HTTP).</summary>
    [RegularExpression("(?i)^(sqlite|libsql)$", ErrorMessage = "must be 'sqlite' or 'libsql'.")]
    public string Provider { get; set; } = "sqlite";

    /// <summary>The embedded database file, relative to the working directory.</summary>
    public string Path { get; set; } = "data/sqlstudio.db";

    public string? Url { get; set; }

    public string? AuthToken { get; set; }

    public bool AutoMigrate { get; set; } = true;

    /// <summary>How long SQLite waits on a lock before answering SQLITE_BUSY.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "3650.00:00:00", ErrorMessage = "must be zero or more, at most 3650 days.")]
    public TimeSpan BusyTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How many times a unit of work that met SQLITE_BUSY is run again.</summary>
    [Range(0, 100, ErrorMessage = "must be between {1} and {2}.")]
    public int BusyRetries { get; set; } = 5;

    /// <summary>
    /// Write batches this instance has in flight to a remote database at once (libSQL), each pipeline carrying every write
    /// waiting at that moment. The server runs one writer at a time; past a couple, waiting writers only spin in its busy
    /// handler, so the rest queue here, in order.
    /// </summary>
    [Range(1, 64, ErrorMessage = "must be between {1} and {2}.")]
    public int MaxConcurrentWrites { get; set; } = 2;

    /// <summary>
    /// Read batches this instance has in flight to a remote database at once (libSQL); reads waiting at the same moment
    /// travel together in one pipeline.
    /// </summary>
    [Range(1, 64, ErrorMessage = "must be between {1} and {2}.")]
    public int MaxConcurrentReads { get; set; } = 2;

    /// <summary>Embedded file: the size the WAL is cut back to after a checkpoint.</summary>
    [Range(0L, long.MaxValue, ErrorMessage = "must be zero or more.")]
    public long WalSizeLimitBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>Embedded file: how often the WAL is checkpointed and truncated in the background.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "3650.00:00:00", ErrorMessage = "must be more than zero and at most 3650 days.")]
    public TimeSpan CheckpointInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Adds an <c>X-Db-Round-Trips</c> header to every response (for tests and diagnostics).</summary>
    public bool ReportRoundTrips { get; set; }
}
