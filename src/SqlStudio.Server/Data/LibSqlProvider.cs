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
    private readonly SemaphoreSlim _writers;

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
        _writers = new SemaphoreSlim(Math.Max(1, options.MaxConcurrentWrites));
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
        if (!write)
        {
            await RunCoreAsync(batch, write, cancellationToken);
            return;
        }
        await _writers.WaitAsync(cancellationToken);
        try
        {
            await RunCoreAsync(batch, write, cancellationToken);
        }
        finally
        {
            _writers.Release();
        }
    }

    private async Task RunCoreAsync(SqlBatch batch, bool write, CancellationToken cancellationToken)
    {
        await using var connection = (LibSqlConnection)await OpenAsync(cancellationToken);
        await using var hrana = new LibSqlBatch { Connection = connection, BeginStatement = write ? "BEGIN IMMEDIATE" : null };
        foreach (var statement in batch.Statements)
        {
            var command = new LibSqlBatchCommand { CommandText = statement.Sql };
            foreach (var (name, value) in statement.Args)
            {
                command.Parameters.Add(new LibSqlParameter(name, value));
            }
            hrana.BatchCommands.Add(command);
        }
        DbDataReader reader;
        try
        {
            reader = await hrana.ExecuteReaderAsync(cancellationToken);
        }
        catch (LibSqlException ex) when (ex.BatchIndex is { } failed)
        {
            ex.Data[SqlBatch.FailedIndexKey] = failed;
            throw;
        }
        await using var _ = reader;
        var index = 0;
        do
        {
            if (batch.Statements[index].Read is { } read)
            {
                await read(reader);
            }
            index++;
        }
        while (index < batch.Statements.Count && await reader.NextResultAsync(cancellationToken));
    }

    public bool IsBusy(Exception exception) => exception is LibSqlException { IsBusy: true };

    public bool IsConstraintViolation(Exception exception) => exception is LibSqlException { IsConstraintViolation: true };
}
