using System.Data.Common;

namespace SqlStudio.LibSql;

/// <summary>
/// Every failure of the provider, with a code a caller can act on: SQLite's (<c>SQLITE_CONSTRAINT</c>,
/// <c>SQLITE_BUSY</c>…), Hrana's (<c>STREAM_EXPIRED</c>…), or the transport's (<c>HTTP_429</c>, <c>HTTP_503</c>,
/// <c>UNAVAILABLE</c>, <c>UNAUTHORIZED</c>).
/// </summary>
public sealed class LibSqlException(string code, string message, Exception? inner = null) : DbException($"{code}: {message}", inner)
{
    public string Code { get; } = code;

    /// <summary>True when nothing can have executed (the request never reached SQLite).</summary>
    public bool NotExecuted { get; init; }

    public TimeSpan? RetryAfter { get; init; }

    /// <summary>In a failed batch, the index of the command that failed (null when it was not one of its commands).</summary>
    public int? BatchIndex { get; init; }

    public bool IsConstraintViolation => Code.StartsWith("SQLITE_CONSTRAINT", StringComparison.Ordinal);

    public bool IsBusy => Code is "SQLITE_BUSY" or "SQLITE_LOCKED";
}
