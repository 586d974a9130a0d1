using System.Data;
using System.Data.Common;
using SqlStudio.LibSql;

namespace SqlStudio.Server.Data;

/// <summary>
/// A remote libSQL database (Turso, or a self-hosted <c>sqld</c>) spoken to over Hrana on HTTP. Each
/// connection is one Hrana stream; a write transaction is <c>BEGIN IMMEDIATE</c> on that stream.
/// </summary>
public sealed class LibSqlProvider : IDbProvider
{
    private readonly string _connectionString;
    private readonly string _describe;
    private readonly ILogger<LibSqlConnection> _logger;
    private readonly Action<TimeSpan> _onRoundTrip;
    private readonly int _maxWriters;

    public LibSqlProvider(DatabaseOptions options, ILoggerFactory loggers)
    {
        if (string.IsNullOrWhiteSpace(options.Url))
        {
            throw new InvalidOperationException(
                "Database:Provider is 'libsql' but Database:Url is empty; set it to the database URL (libsql://, https:// or http://).");
        }
        _connectionString = new DbConnectionStringBuilder
        {
            ["Data Source"] = options.Url,
            ["Auth Token"] = options.AuthToken ?? "",
        }.ConnectionString;
        _describe = LibSqlConnection.Describe(options.Url);
        _logger = loggers.CreateLogger<LibSqlConnection>();
        _onRoundTrip = elapsed => DbMetrics.RoundTrip(Name, elapsed);
        _maxWriters = Math.Max(1, options.MaxConcurrentWrites);
    }

    public string Name => "libsql";

    public string Describe() => _describe;

    public async Task<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new LibSqlConnection(_connectionString) { Logger = _logger, RoundTripCompleted = _onRoundTrip };
        await connection.OpenAsync(cancellationToken);
        return connection;
    }

    public async Task<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken cancellationToken) =>
        await connection.BeginTransactionAsync(IsolationLevel.Serializable, cancellationToken);

    public async Task RunBatchAsync(SqlBatch batch, bool write, CancellationToken cancellationToken)
    {
        using var span = DbMetrics.StartRoundTrip(Name, write);
        var hrana = new LibSqlBatch { BeginStatement = write ? "BEGIN IMMEDIATE" : null };
        foreach (var statement in batch.Statements)
        {
            var command = new LibSqlBatchCommand { CommandText = statement.Sql };
            foreach (var (name, value) in statement.Args)
            {
                command.Parameters.Add(new LibSqlParameter(name, value));
            }
            hrana.BatchCommands.Add(command);
        }
        DbDataReader? reader;
        LibSqlException? error;
        if (write)
        {
            // Group commit: writes waiting at the same moment travel in one pipeline (one round trip, one stream), each
            // still its own transaction. At most MaxConcurrentWrites groups are in flight.
            var pending = new PendingWrite(hrana, new TaskCompletionSource<(DbDataReader?, LibSqlException?)>(TaskCreationOptions.RunContinuationsAsynchronously),
                DbRoundTrips.Current);
            await _writes.Writer.WriteAsync(pending, cancellationToken);
            StartWriters();
            (reader, error) = await pending.Done.Task.WaitAsync(cancellationToken);
        }
        else
        {
            await using var connection = (LibSqlConnection)await OpenAsync(cancellationToken);
            (reader, error) = (await LibSqlBatch.ExecuteManyAsync(connection, [hrana], hrana.Timeout, cancellationToken))[0];
        }
        if (error is not null)
        {
            if (error.BatchIndex is { } failed)
            {
                error.Data[SqlBatch.FailedIndexKey] = failed;
            }
            throw error;
        }
        await using var _ = reader;
        var index = 0;
        do
        {
            if (batch.Statements[index].Read is { } read)
            {
                await read(reader!);
            }
            index++;
        }
        while (index < batch.Statements.Count && await reader!.NextResultAsync(cancellationToken));
    }

    private sealed record PendingWrite(LibSqlBatch Batch, TaskCompletionSource<(DbDataReader?, LibSqlException?)> Done, DbRoundTrips.StrongBox? Box);

    private readonly System.Threading.Channels.Channel<PendingWrite> _writes =
        System.Threading.Channels.Channel.CreateUnbounded<PendingWrite>(new() { SingleWriter = false });

    private int _writersStarted;

    private void StartWriters()
    {
        if (Interlocked.Exchange(ref _writersStarted, 1) == 1)
        {
            return;
        }
        // Not in the starting request's flow: its round-trip counter must not see every later group.
        using (ExecutionContext.SuppressFlow())
        {
            for (var i = 0; i < _maxWriters; i++)
            {
                _ = Task.Run(WriteGroupsAsync);
            }
        }
    }

    /// <summary>Takes every write waiting (up to 64) and sends them as one pipeline; each caller gets its own batch's outcome.</summary>
    private async Task WriteGroupsAsync()
    {
        var reader = _writes.Reader;
        while (await reader.WaitToReadAsync())
        {
            var group = new List<PendingWrite>();
            while (group.Count < 64 && reader.TryRead(out var next))
            {
                group.Add(next);
            }
            if (group.Count == 0)
            {
                continue;
            }
            try
            {
                await using var connection = (LibSqlConnection)await OpenAsync(CancellationToken.None);
                var outcomes = await LibSqlBatch.ExecuteManyAsync(connection, group.Select(p => p.Batch).ToList(), group[0].Batch.Timeout, CancellationToken.None);
                for (var i = 0; i < group.Count; i++)
                {
                    group[i].Box?.Add();
                    group[i].Done.TrySetResult(outcomes[i]);
                }
            }
            catch (Exception ex)
            {
                foreach (var pending in group)
                {
                    pending.Box?.Add();
                    pending.Done.TrySetException(ex);
                }
            }
        }
    }

    public bool IsBusy(Exception exception) => exception is LibSqlException { IsBusy: true };

    public bool IsConstraintViolation(Exception exception) => exception is LibSqlException { IsConstraintViolation: true };
}
