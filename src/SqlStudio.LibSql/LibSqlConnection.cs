using System.Data;
using System.Data.Common;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace SqlStudio.LibSql;

/// <summary>
/// A connection to a Turso / libSQL database. Connection string: <c>Data Source=libsql://db.turso.io;Auth Token=…</c>
/// (or <c>Url=</c>). Outside a transaction commands run on streams shared by every connection to the same database and
/// kept open while they are idle in autocommit (see <c>HranaClient.RunAsync</c>); a transaction keeps one interactive
/// stream (its baton) until commit or rollback.
/// </summary>
public sealed class LibSqlConnection : DbConnection
{
    private string _connectionString = "";
    private ConnectionState _state = ConnectionState.Closed;
    private HranaClient? _client;

    public LibSqlConnection()
    {
    }

    public LibSqlConnection(string connectionString) => ConnectionString = connectionString;

    /// <summary>Statements sent at the start of every stream (per-connection settings).</summary>
    public IList<string> StreamSettings { get; } = ["PRAGMA foreign_keys = ON"];

    public ILogger Logger { get; set; } = NullLogger.Instance;

    /// <summary>Log argument values with statements (off: values can be personal data).</summary>
    public bool LogArguments { get; set; }

    public int MaxRetries { get; set; } = 4;

    /// <summary>Called after every HTTP round trip to the server with its duration (for metrics and round-trip budgets).</summary>
    public Action<TimeSpan>? RoundTripCompleted { get; set; }

    internal LibSqlTransaction? Transaction { get; set; }

    [AllowNull]
    public override string ConnectionString
    {
        get => _connectionString;
        set
        {
            _connectionString = value ?? "";
            var builder = new DbConnectionStringBuilder { ConnectionString = _connectionString };
            Url = (builder.TryGetValue("Data Source", out var ds) ? ds : builder.TryGetValue("Url", out var u) ? u : null)?.ToString() ?? "";
            var token = (builder.TryGetValue("Auth Token", out var t) ? t : builder.TryGetValue("AuthToken", out var t2) ? t2 : null)?.ToString();
            AuthToken = string.IsNullOrEmpty(token) ? null : token;
        }
    }

    public string Url { get; private set; } = "";

    public string? AuthToken { get; private set; }

    /// <summary>The database's address, safe to print: scheme, host, port and path, never user-info or query.</summary>
    public static string Describe(string url) =>
        Uri.TryCreate(HranaClient.Normalize(url), UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
            ? $"{uri.Scheme}://{uri.Host}{(uri.IsDefaultPort ? "" : ":" + uri.Port)}{uri.AbsolutePath.TrimEnd('/')}"
            : "(not a libsql, https or http URL)";

    public override string Database => "main";

    public override string DataSource => Url;

    public override string ServerVersion => "libsql";

    public override ConnectionState State => _state;

    internal HranaClient Client => _client ?? throw new InvalidOperationException("The connection is not open.");

    public override void Open() => OpenAsync(CancellationToken.None).GetAwaiter().GetResult();

    public override Task OpenAsync(CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(Url))
        {
            throw new InvalidOperationException("The connection string needs Data Source=libsql://… (or https://, http://).");
        }
        _client = new HranaClient(Url, AuthToken, MaxRetries, RoundTripCompleted);
        _state = ConnectionState.Open;
        return Task.CompletedTask;
    }

    public override void Close()
    {
        if (Transaction is { } open)
        {
            open.Dispose();
        }
        _state = ConnectionState.Closed;
    }

    public override void ChangeDatabase(string databaseName) => throw new NotSupportedException("libSQL has one database per URL.");

    protected override DbTransaction BeginDbTransaction(IsolationLevel isolationLevel) =>
        BeginDbTransactionAsync(isolationLevel, CancellationToken.None).AsTask().GetAwaiter().GetResult();

    /// <summary>Opens an interactive stream and runs <c>BEGIN IMMEDIATE</c> (the write lock up front) on it.</summary>
    protected override async ValueTask<DbTransaction> BeginDbTransactionAsync(IsolationLevel isolationLevel, CancellationToken cancellationToken)
    {
        if (Transaction is not null)
        {
            throw new InvalidOperationException("A transaction is already open on this connection.");
        }
        var begin = isolationLevel == IsolationLevel.ReadUncommitted ? "BEGIN DEFERRED" : "BEGIN IMMEDIATE";
        var requests = new JsonArray(StreamSettings.Select(s => (JsonNode)Hrana.Execute(Hrana.Statement(s, false))).Append(Hrana.Execute(Hrana.Statement(begin, false))).ToArray());
        var response = await Client.PipelineAsync(null, null, requests, mayRetryAfterSend: false, cancellationToken);
        LibSqlCommand.ThrowOnError(response.Results);
        Transaction = new LibSqlTransaction(this, response.Baton ?? throw new LibSqlException("PROTOCOL", "The server closed the stream of a new transaction."),
            response.BaseUrl, isolationLevel);
        return Transaction;
    }

    protected override DbCommand CreateDbCommand() => new LibSqlCommand { Connection = this };

    public override bool CanCreateBatch => true;

    protected override DbBatch CreateDbBatch() => new LibSqlBatch { Connection = this };

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            Close();
        }
        base.Dispose(disposing);
    }
}

/// <summary>An interactive transaction: one Hrana stream, followed by its baton. Never retried.</summary>
public sealed class LibSqlTransaction : DbTransaction
{
    private readonly LibSqlConnection _connection;
    private readonly IsolationLevel _isolationLevel;
    private bool _done;

    internal LibSqlTransaction(LibSqlConnection connection, string baton, string? baseUrl, IsolationLevel isolationLevel)
    {
        _connection = connection;
        Baton = baton;
        BaseUrl = baseUrl;
        _isolationLevel = isolationLevel;
    }

    internal string? Baton { get; private set; }

    internal string? BaseUrl { get; private set; }

    public override IsolationLevel IsolationLevel => _isolationLevel;

    protected override DbConnection DbConnection => _connection;

    public override bool SupportsSavepoints => true;

    /// <summary>Runs requests on this transaction's stream and moves to the baton it returns.</summary>
    internal async Task<JsonArray> RunAsync(JsonArray requests, CancellationToken ct)
    {
        if (_done || Baton is null)
        {
            throw new InvalidOperationException("The transaction has already been committed or rolled back.");
        }
        var response = await _connection.Client.PipelineAsync(Baton, BaseUrl, requests, mayRetryAfterSend: false, ct);
        Baton = response.Baton;
        BaseUrl = response.BaseUrl ?? BaseUrl;
        return response.Results;
    }

    public override void Commit() => CommitAsync().GetAwaiter().GetResult();

    public override async Task CommitAsync(CancellationToken cancellationToken = default) => await FinishAsync("COMMIT", cancellationToken);

    public override void Rollback() => RollbackAsync().GetAwaiter().GetResult();

    public override async Task RollbackAsync(CancellationToken cancellationToken = default) => await FinishAsync("ROLLBACK", cancellationToken);

    public override Task SaveAsync(string savepointName, CancellationToken cancellationToken = default) => RunSimpleAsync($"SAVEPOINT \"{savepointName}\"", cancellationToken);

    public override Task RollbackAsync(string savepointName, CancellationToken cancellationToken = default) =>
        RunSimpleAsync($"ROLLBACK TO SAVEPOINT \"{savepointName}\"", cancellationToken);

    public override Task ReleaseAsync(string savepointName, CancellationToken cancellationToken = default) =>
        RunSimpleAsync($"RELEASE SAVEPOINT \"{savepointName}\"", cancellationToken);

    public override void Save(string savepointName) => SaveAsync(savepointName).GetAwaiter().GetResult();

    public override void Rollback(string savepointName) => RollbackAsync(savepointName).GetAwaiter().GetResult();

    public override void Release(string savepointName) => ReleaseAsync(savepointName).GetAwaiter().GetResult();

    private async Task RunSimpleAsync(string sql, CancellationToken ct) =>
        LibSqlCommand.ThrowOnError(await RunAsync(new JsonArray(Hrana.Execute(Hrana.Statement(sql, false))), ct));

    private async Task FinishAsync(string sql, CancellationToken ct)
    {
        if (_done)
        {
            return;
        }
        try
        {
            var results = await RunAsync(new JsonArray(Hrana.Execute(Hrana.Statement(sql, false)), Hrana.Close()), ct);
            LibSqlCommand.ThrowOnError(results);
        }
        finally
        {
            _done = true;
            _connection.Transaction = null;
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_done)
        {
            try
            {
                // Not committed: roll back, and close the stream so the server frees its connection now.
                FinishAsync("ROLLBACK", CancellationToken.None).GetAwaiter().GetResult();
            }
            catch (LibSqlException)
            {
                // The stream may already be gone (expired); the server rolls back on its own then.
            }
        }
        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        if (!_done)
        {
            try
            {
                await FinishAsync("ROLLBACK", CancellationToken.None);
            }
            catch (LibSqlException)
            {
            }
        }
        await base.DisposeAsync();
    }
}
