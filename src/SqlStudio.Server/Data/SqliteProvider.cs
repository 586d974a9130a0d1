using System.Data;
using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace SqlStudio.Server.Data;

/// <summary>The embedded database: one SQLite file in WAL mode.</summary>
public sealed class SqliteProvider : IDbProvider, IDisposable
{
    private const int SqliteBusy = 5;
    private const int SqliteLocked = 6;

    private readonly string _connectionString;
    private readonly string _pragmas;
    private readonly string _path;
    private int _initialised;
    private readonly SemaphoreSlim _writer = new(1, 1);

    /// <summary>Pooled native connections that already have the per-connection pragmas (they survive in the pool).</summary>
    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<object, object> _prepared = new();

    public SqliteProvider(DatabaseOptions options)
    {
        _path = System.IO.Path.GetFullPath(options.Path);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = _path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            ForeignKeys = true,
            DefaultTimeout = (int)Math.Ceiling(options.BusyTimeout.TotalSeconds),
        }.ToString();
        // foreign_keys is also in the connection string; the pragma keeps it explicit for every connection.
        // journal_size_limit: after a checkpoint the WAL file is cut back to this size instead of staying as large as
        // the busiest moment made it (101 MB was seen under load).
        _pragmas = $"PRAGMA foreign_keys = ON; PRAGMA busy_timeout = {(int)options.BusyTimeout.TotalMilliseconds}; " +
                   $"PRAGMA synchronous = NORMAL; PRAGMA journal_size_limit = {options.WalSizeLimitBytes};";
    }

    /// <summary>Closes this file's pooled connections (when the host stops), so the file can be moved or deleted.</summary>
    public void Dispose() => SqliteConnection.ClearPool(new SqliteConnection(_connectionString));

    public string Name => "sqlite";

    public string Describe() => _path;

    public async Task<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        EnsureFolder();
        var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            if (connection.Handle is { } handle && _prepared.TryGetValue(handle, out _))
            {
                return connection;
            }
            await using var command = connection.CreateCommand();
            command.CommandText = _pragmas;
            if (Interlocked.Exchange(ref _initialised, 1) == 0)
            {
                // journal_mode is stored in the file, so it is set once per process, not per connection.
                command.CommandText = "PRAGMA journal_mode = WAL; " + _pragmas;
            }
            await command.ExecuteNonQueryAsync(cancellationToken);
            if (connection.Handle is { } opened)
            {
                _prepared.AddOrUpdate(opened, opened);
            }
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    public async ValueTask<IDisposable?> EnterWriterAsync(CancellationToken cancellationToken)
    {
        await _writer.WaitAsync(cancellationToken);
        return new Releaser(_writer);
    }

    private sealed class Releaser(SemaphoreSlim gate) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                gate.Release();
            }
        }
    }

    public Task<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        // Serializable + not deferred is Microsoft.Data.Sqlite's spelling of BEGIN IMMEDIATE: the write lock is
        // taken up front, so two writers queue on busy_timeout instead of failing half-way through.
        var transaction = ((SqliteConnection)connection).BeginTransaction(IsolationLevel.Serializable, deferred: false);
        return Task.FromResult<DbTransaction>(transaction);
    }

    public async Task RunBatchAsync(SqlBatch batch, bool write, CancellationToken cancellationToken)
    {
        using var span = DbMetrics.StartRoundTrip(Name, write);
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            await RunAsync(batch, write, cancellationToken);
        }
        finally
        {
            DbMetrics.Measured(Name, System.Diagnostics.Stopwatch.GetElapsedTime(started));
        }
    }

    private async Task RunAsync(SqlBatch batch, bool write, CancellationToken cancellationToken)
    {
        await using var connection = (SqliteConnection)await OpenAsync(cancellationToken);
        await using var transaction = connection.BeginTransaction(IsolationLevel.Serializable, deferred: !write);
        for (var index = 0; index < batch.Statements.Count; index++)
        {
            var statement = batch.Statements[index];
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = statement.Sql;
            foreach (var (name, value) in statement.Args)
            {
                command.Parameters.AddWithValue(name[0] is '@' or ':' or '$' ? name : "@" + name, value ?? DBNull.Value);
            }
            try
            {
                await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                if (statement.Read is { } read)
                {
                    await read(reader);
                }
            }
            catch (SqliteException ex)
            {
                ex.Data[SqlBatch.FailedIndexKey] = index;
                throw;
            }
        }
        await transaction.CommitAsync(cancellationToken);
    }

    public bool IsConstraintViolation(Exception exception) => exception is SqliteException { SqliteErrorCode: 19 };

    /// <summary>
    /// Copies the WAL into the database and truncates it (<c>wal_checkpoint(TRUNCATE)</c>); true when it completed
    /// (a reader still holding an old snapshot makes it partial: the next run finishes it).
    /// </summary>
    public async Task<bool> CheckpointAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA wal_checkpoint(TRUNCATE)";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) && reader.GetInt64(0) == 0;
    }

    /// <summary>
    /// A consistent copy of the database in a new file while the server runs (<c>VACUUM INTO</c>: one read transaction,
    /// so writers are not blocked in WAL mode), created owner-only (0600) like the database itself.
    /// </summary>
    public async Task BackupToAsync(string target, CancellationToken cancellationToken)
    {
        var folder = System.IO.Path.GetDirectoryName(target);
        if (!string.IsNullOrEmpty(folder))
        {
            Directory.CreateDirectory(folder);
        }
        if (!OperatingSystem.IsWindows())
        {
            // Created empty and owner-only first: SQLite writes into it and keeps the mode.
            await using (new FileStream(target, new FileStreamOptions
                         {
                             Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
                         }))
            {
            }
        }
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "VACUUM INTO @target";
        command.Parameters.Add(new SqliteParameter("@target", target));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public bool IsBusy(Exception exception) =>
        exception is SqliteException { SqliteErrorCode: SqliteBusy or SqliteLocked };

    private void EnsureFolder()
    {
        var folder = System.IO.Path.GetDirectoryName(_path);
        if (!string.IsNullOrEmpty(folder))
        {
            Directory.CreateDirectory(folder);
        }
        if (!OperatingSystem.IsWindows() && !File.Exists(_path))
        {
            // Created empty and owner-only (0600) before SQLite opens it; SQLite gives its -wal and -shm files the same mode.
            try
            {
                using var _ = new FileStream(_path, new FileStreamOptions
                {
                    Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
                });
            }
            catch (IOException) when (File.Exists(_path))
            {
                // Another connection created it first.
            }
        }
    }
}
