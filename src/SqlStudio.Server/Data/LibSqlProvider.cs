using System.Data;
using System.Data.Common;
using SqlStudio.LibSql;

namespace SqlStudio.Server.Data;

/// <summary>
/// A remote libSQL database (Turso, or a self-hosted <c>sqld</c>) spoken to over Hrana on HTTP. Batches go in groups
/// (<see cref="BatchQueue"/>), on streams kept open between requests (<see cref="LibSqlConnection"/>); an interactive
/// write transaction is <c>BEGIN IMMEDIATE</c> on a stream of its own.
/// </summary>
public sealed class LibSqlProvider : IDbProvider
{
    private readonly string _connectionString;
    private readonly string _describe;
    private readonly ILogger<LibSqlConnection> _logger;
    private readonly Action<TimeSpan> _onRoundTrip;

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
        _writes = new BatchQueue(this, Math.Max(1, options.MaxConcurrentWrites));
        _reads = new BatchQueue(this, Math.Max(1, options.MaxConcurrentReads));
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
        // Group commit, and its twin for reads: batches waiting at the same moment travel in one pipeline (one round trip,
        // one stream, one Hrana batch: LibSqlBatch.ExecuteAsOneAsync), each with its own outcome; writes share one
        // transaction, each in a savepoint of its own. A handful of pipelines in flight keeps sqld
        // busy; dozens at once only make them wait on each other there (a writer behind 32 readers gets a tenth of its
        // throughput).
        var (reader, error) = await (write ? _writes : _reads).RunAsync(hrana, cancellationToken);
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

    private readonly BatchQueue _reads;
    private readonly BatchQueue _writes;

    /// <summary>
    /// Batches waiting to be sent, and at most <c>workers</c> pipelines in flight: each worker takes every batch waiting
    /// (up to 64) and sends them as one pipeline; each caller gets its own batch's outcome.
    /// </summary>
    private sealed class BatchQueue(LibSqlProvider provider, int workers)
    {
        private sealed record Pending(LibSqlBatch Batch, TaskCompletionSource<(DbDataReader?, LibSqlException?)> Done, DbRoundTrips.StrongBox? Box);

        private readonly System.Threading.Channels.Channel<Pending> _queue =
            System.Threading.Channels.Channel.CreateUnbounded<Pending>(new() { SingleWriter = false });

        private int _started;

        public async Task<(DbDataReader? Reader, LibSqlException? Error)> RunAsync(LibSqlBatch batch, CancellationToken cancellationToken)
        {
            var pending = new Pending(batch, new TaskCompletionSource<(DbDataReader?, LibSqlException?)>(TaskCreationOptions.RunContinuationsAsynchronously),
                DbRoundTrips.Current);
            await _queue.Writer.WriteAsync(pending, cancellationToken);
            Start();
            return await pending.Done.Task.WaitAsync(cancellationToken);
        }

        private void Start()
        {
            if (Interlocked.Exchange(ref _started, 1) == 1)
            {
                return;
            }
            // Not in the starting request's flow: its round-trip counter must not see every later group.
            using (ExecutionContext.SuppressFlow())
            {
                for (var i = 0; i < workers; i++)
                {
                    _ = Task.Run(WorkAsync);
                }
            }
        }

        private async Task WorkAsync()
        {
            var reader = _queue.Reader;
            while (await reader.WaitToReadAsync())
            {
                var group = new List<Pending>();
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
                    await using var connection = (LibSqlConnection)await provider.OpenAsync(CancellationToken.None);
                    var batches = group.Select(p => p.Batch).ToList();
                    var outcomes = await LibSqlBatch.ExecuteAsOneAsync(connection, batches, group.Max(p => p.Batch.Timeout), CancellationToken.None);
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
    }

    public bool IsBusy(Exception exception) => exception is LibSqlException { IsBusy: true };

    public bool IsConstraintViolation(Exception exception) => exception is LibSqlException { IsConstraintViolation: true };
}
