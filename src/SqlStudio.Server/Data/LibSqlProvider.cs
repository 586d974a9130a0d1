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
    }

    public string Name => "libsql";

    public string Describe() => _describe;

    public async Task<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new LibSqlConnection(_connectionString) { Logger = _logger };
        await connection.OpenAsync(cancellationToken);
        return connection;
    }

    public async Task<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken cancellationToken) =>
        await connection.BeginTransactionAsync(IsolationLevel.Serializable, cancellationToken);

    public bool IsBusy(Exception exception) => exception is LibSqlException { IsBusy: true };
}
