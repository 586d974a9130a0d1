using System.Data.Common;

namespace SqlStudio.Server.Data;

/// <summary>
/// What differs between the embedded SQLite file and a remote libSQL database. Features never see this:
/// they go through <see cref="Db"/>, which is the same for every provider.
/// </summary>
public interface IDbProvider
{
    /// <summary>A short name for logs and health output, e.g. <c>sqlite</c>.</summary>
    string Name { get; }

    /// <summary>Where the data lives, safe to print (no credentials).</summary>
    string Describe();

    /// <summary>Opens a connection with the per-connection settings applied (foreign keys, busy timeout...).</summary>
    Task<DbConnection> OpenAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Held around every write transaction of this process. The embedded file has one writer at a time: writers queue
    /// here, in order, instead of colliding in SQLite, whose busy handler sleeps 1, 2, 5, 10… ms between tries. A remote
    /// database queues writers itself: nothing to hold.
    /// </summary>
    ValueTask<IDisposable?> EnterWriterAsync(CancellationToken cancellationToken) => ValueTask.FromResult<IDisposable?>(null);

    /// <summary>Starts a transaction that takes the write lock at once (<c>BEGIN IMMEDIATE</c>).</summary>
    Task<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken cancellationToken);

    /// <summary>
    /// Runs every statement of <paramref name="batch"/> in one transaction (<c>BEGIN IMMEDIATE</c> when
    /// <paramref name="write"/>), in one round trip where the database is remote, then hands each read its rows.
    /// Any failing statement rolls the whole batch back and is thrown.
    /// </summary>
    Task RunBatchAsync(SqlBatch batch, bool write, CancellationToken cancellationToken);

    /// <summary>True when the failure means "the database was busy, nothing was done": safe to run again.</summary>
    bool IsBusy(Exception exception);

    /// <summary>True when the database refused a row (a CHECK, NOT NULL, UNIQUE or foreign key constraint).</summary>
    bool IsConstraintViolation(Exception exception);
}
