using System.Data.Common;
using Dapper;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using SqlStudio.LibSql;
using SqlStudio.Server.Data;
using SqlStudio.Testing;

namespace SqlStudio.Server.Tests.LibSql;

/// <summary>
/// The libSQL provider against a Hrana server on loopback whose statements run on real SQLite: values, parameters,
/// batches, interactive transactions, and what happens when the network or the server misbehaves.
/// </summary>
public sealed class LibSqlProviderTests : IAsyncLifetime
{
    private readonly string _folder = TestServer.NewDataDirectory();
    private HranaTestServer _hrana = null!;

    private string DatabasePath => Path.Combine(_folder, "hrana.db");

    public async Task InitializeAsync()
    {
        _hrana = await HranaTestServer.StartAsync(DatabasePath);
        _hrana.RequiredToken = "secret-token";
        await using var connection = Open();
        await connection.ExecuteAsync("CREATE TABLE t (id INTEGER PRIMARY KEY, v ANY, note TEXT UNIQUE) STRICT");
    }

    public async Task DisposeAsync()
    {
        await _hrana.DisposeAsync();
        Directory.Delete(_folder, recursive: true);
    }

    private LibSqlConnection Open(string? token = "secret-token", int maxRetries = 4)
    {
        var connection = new LibSqlConnection($"Data Source={_hrana.Url};Auth Token={token}") { MaxRetries = maxRetries };
        connection.Open();
        return connection;
    }

    private long CountRowsDirectly()
    {
        using var sqlite = new SqliteConnection($"Data Source={DatabasePath};Pooling=False");
        return sqlite.ExecuteScalar<long>("SELECT count(*) FROM t");
    }

    public static TheoryData<object> Values => new()
    {
        long.MaxValue, long.MinValue, -1L, 0L, 3.5d, -0.25d, "", "Ünïcødé — 日本語 🚀", new byte[0], new byte[] { 0, 1, 254, 255 },
    };

    [Theory]
    [MemberData(nameof(Values))]
    public async Task Value_RoundTrips_Exactly(object value)
    {
        await using var connection = Open();

        await connection.ExecuteAsync("INSERT INTO t (id, v) VALUES (1, @value)", new { value });
        var back = await connection.ExecuteScalarAsync<object>("SELECT v FROM t WHERE id = 1");

        Assert.Equal(value, back);
        Assert.Equal(value.GetType(), back!.GetType());
    }

    [Fact]
    public async Task Null_RoundTrips_AsDbNull()
    {
        await using var connection = Open();
        await using var command = connection.CreateCommand();
        command.CommandText = "INSERT INTO t (id, v) VALUES (1, ?); SELECT v, typeof(v) FROM t WHERE id = 1";
        command.Parameters.Add(new LibSqlParameter(null, null));

        await using var reader = await command.ExecuteReaderAsync();

        Assert.True(await reader.ReadAsync());
        Assert.True(reader.IsDBNull(0));
        Assert.Equal("null", reader.GetString(1));
    }

    [Fact]
    public async Task Parameters_NamedWithAnyPrefix_AndPositional_BindToTheRightPlaces()
    {
        await using var connection = Open();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT @a || ':' || $b || ':' || :c || ':' || @a";
        command.Parameters.Add(new LibSqlParameter("a", "x"));
        command.Parameters.Add(new LibSqlParameter("$b", "y"));
        command.Parameters.Add(new LibSqlParameter(":c", "z"));

        Assert.Equal("x:y:z:x", await command.ExecuteScalarAsync());

        command.Parameters.Clear();
        command.CommandText = "SELECT ? - ?, '?' || ?";
        command.Parameters.Add(new LibSqlParameter(null, 44L));
        command.Parameters.Add(new LibSqlParameter(null, 2L));
        command.Parameters.Add(new LibSqlParameter(null, "!"));
        await using var reader = await command.ExecuteReaderAsync();

        Assert.True(await reader.ReadAsync());
        Assert.Equal(42L, reader.GetInt64(0));
        Assert.Equal("?!", reader.GetString(1));
    }

    [Fact]
    public async Task Batch_StepFails_NothingOfItIsKept()
    {
        await using var connection = Open();
        await connection.ExecuteAsync("INSERT INTO t (id, note) VALUES (1, 'taken')");
        var batch = connection.CreateBatch();
        foreach (var sql in new[] { "INSERT INTO t (id, note) VALUES (2, 'fresh')", "INSERT INTO t (id, note) VALUES (3, 'taken')" })
        {
            var step = batch.CreateBatchCommand();
            step.CommandText = sql;
            batch.BatchCommands.Add(step);
        }

        var ex = await Assert.ThrowsAsync<LibSqlException>(() => batch.ExecuteNonQueryAsync());

        Assert.True(ex.IsConstraintViolation, ex.Message);
        Assert.Equal(1, CountRowsDirectly());
    }

    [Fact]
    public async Task Transaction_Commit_KeepsEveryStatement_Rollback_KeepsNone()
    {
        await using var connection = Open();

        await using (var committed = await connection.BeginTransactionAsync())
        {
            await connection.ExecuteAsync("INSERT INTO t (id) VALUES (1)", transaction: committed);
            await connection.ExecuteAsync("INSERT INTO t (id) VALUES (2)", transaction: committed);
            Assert.Equal(2, await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM t", transaction: committed));
            await committed.CommitAsync();
        }
        await using (var abandoned = await connection.BeginTransactionAsync())
        {
            await connection.ExecuteAsync("INSERT INTO t (id) VALUES (3)", transaction: abandoned);
            await abandoned.RollbackAsync();
        }

        Assert.Equal(2, CountRowsDirectly());
    }

    [Fact]
    public async Task Transaction_Savepoint_RollsBackOnlyItsPart()
    {
        await using var connection = Open();
        await using var transaction = await connection.BeginTransactionAsync();
        await connection.ExecuteAsync("INSERT INTO t (id) VALUES (1)", transaction: transaction);
        await transaction.SaveAsync("part");
        await connection.ExecuteAsync("INSERT INTO t (id) VALUES (2)", transaction: transaction);

        await transaction.RollbackAsync("part");
        await transaction.CommitAsync();

        Assert.Equal(1, CountRowsDirectly());
    }

    [Fact]
    public async Task Commands_ReuseOneStream_InsteadOfOpeningOneEach()
    {
        var before = _hrana.StreamsOpened;
        for (var i = 0; i < 5; i++)
        {
            await using var connection = Open();
            await connection.ExecuteAsync("INSERT INTO t (id) VALUES (@i)", new { i });
            Assert.Equal(i + 1L, await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM t"));
        }

        // The stream the setup used carries on: a new one costs the server a connection and a schema parse.
        Assert.Equal(before, _hrana.StreamsOpened);
    }

    [Fact]
    public async Task ReusedStreamExpired_TheStatementRunsOnANewOne_Once()
    {
        await using var connection = Open();
        _hrana.NextStreamExpired = 1;
        var before = _hrana.StreamsOpened;

        await connection.ExecuteAsync("INSERT INTO t (id) VALUES (1)");

        Assert.Equal(0, _hrana.NextStreamExpired);
        Assert.Equal(1, CountRowsDirectly());
        Assert.Equal(before + 1, _hrana.StreamsOpened);
    }

    [Fact]
    public async Task StreamLeftInsideATransaction_IsRolledBackAndNotReused()
    {
        await using var connection = Open();
        await connection.ExecuteAsync("BEGIN IMMEDIATE");

        // Were that stream reused, this insert would sit in its open transaction (and hold the write lock).
        await connection.ExecuteAsync("INSERT INTO t (id) VALUES (1)");

        Assert.Equal(1, CountRowsDirectly());
    }

    [Fact]
    public async Task Transaction_StreamExpired_FailsLoudly_AndKeepsNothing()
    {
        await using var connection = Open();
        await using var transaction = await connection.BeginTransactionAsync();
        await connection.ExecuteAsync("INSERT INTO t (id) VALUES (1)", transaction: transaction);
        _hrana.NextStreamExpired = 1;

        var ex = await Assert.ThrowsAsync<LibSqlException>(() =>
            connection.ExecuteAsync("INSERT INTO t (id) VALUES (2)", transaction: transaction));

        Assert.Equal("STREAM_EXPIRED", ex.Code);
        Assert.Equal(0, CountRowsDirectly());
    }

    [Fact]
    public async Task TooManyRequests_IsRetriedAfterTheServersDelay()
    {
        await using var connection = Open();
        _hrana.Next429 = 1;
        var before = _hrana.PipelineRequests;

        Assert.Equal(7L, await connection.ExecuteScalarAsync<long>("SELECT 7"));
        Assert.Equal(before + 2, _hrana.PipelineRequests);
    }

    [Fact]
    public async Task Unavailable_BeyondTheRetries_IsSurfacedWithTheProxysText()
    {
        await using var connection = Open(maxRetries: 1);
        _hrana.Next503 = 2;
        _hrana.HtmlErrors = true;

        var ex = await Assert.ThrowsAsync<LibSqlException>(() => connection.ExecuteAsync("INSERT INTO t (id) VALUES (1)"));

        Assert.Equal("HTTP_503", ex.Code);
        Assert.Contains("Service unavailable", ex.Message);
        Assert.DoesNotContain("<", ex.Message);
        Assert.Equal(0, CountRowsDirectly());
    }

    [Fact]
    public async Task DroppedAnswer_ToAWrite_IsNotSentTwice()
    {
        await using var connection = Open();
        _hrana.NextDropAfterExecute = 1;

        var ex = await Assert.ThrowsAsync<LibSqlException>(() => connection.ExecuteAsync("INSERT INTO t (v) VALUES ('once')"));

        Assert.Equal("CONNECTION_DROPPED", ex.Code);
        Assert.Equal(1, CountRowsDirectly());
    }

    [Fact]
    public async Task DroppedAnswer_ToARead_IsRetried()
    {
        await using var connection = Open();
        await connection.ExecuteAsync("INSERT INTO t (id) VALUES (1)");
        _hrana.NextDropAfterExecute = 1;

        Assert.Equal(1L, await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM t"));
    }

    [Fact]
    public async Task SlowAnswer_BeyondCommandTimeout_FailsAsTimeout_AndIsNotResent()
    {
        await using var connection = Open();
        await using var command = connection.CreateCommand();
        command.CommandText = "INSERT INTO t (v) VALUES ('slow')";
        command.CommandTimeout = 1;
        _hrana.Slow = TimeSpan.FromSeconds(2);
        var before = _hrana.PipelineRequests;

        var ex = await Assert.ThrowsAsync<LibSqlException>(() => command.ExecuteNonQueryAsync());

        Assert.Equal("TIMEOUT", ex.Code);
        Assert.Equal(before + 1, _hrana.PipelineRequests);
        _hrana.Slow = TimeSpan.Zero;
    }

    [Fact]
    public async Task WrongToken_IsRefused_WithoutRetrying()
    {
        await using var connection = Open(token: "wrong");
        var before = _hrana.PipelineRequests;

        var ex = await Assert.ThrowsAsync<LibSqlException>(() => connection.ExecuteScalarAsync<long>("SELECT 1"));

        Assert.Equal("UNAUTHORIZED", ex.Code);
        Assert.Contains("Authentication failed", ex.Message);
        Assert.DoesNotContain("wrong", ex.Message);
        Assert.Equal(before + 1, _hrana.PipelineRequests);
    }

    [Fact]
    public async Task ServerWithoutV3_IsSpokenToOverV2()
    {
        await using var v2 = await HranaTestServer.StartAsync(Path.Combine(_folder, "v2.db"));
        v2.V2Only = true;
        await using var connection = new LibSqlConnection($"Data Source={v2.Url}");
        await connection.OpenAsync();

        Assert.Equal(5L, await connection.ExecuteScalarAsync<long>("SELECT 2 + 3"));
        Assert.Equal(1, v2.PipelineRequests);
    }

    [Fact]
    public async Task Statements_AreLoggedAndMeasured_ButNeverTheirArguments()
    {
        var logger = new ListLogger();
        var durations = new List<double>();
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "SqlStudio.LibSql" && instrument.Name == "db_request_duration")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<double>((_, value, _, _) =>
        {
            lock (durations)
            {
                durations.Add(value);
            }
        });
        listener.Start();
        await using var connection = Open();
        connection.Logger = logger;

        await connection.ExecuteAsync("INSERT INTO t (id, note) VALUES (1, @note)", new { note = "my-secret-password" });

        var line = Assert.Single(logger.Lines, l => l.Contains("INSERT INTO t"));
        Assert.Contains("1 changed", line);
        Assert.DoesNotContain("my-secret-password", string.Join("\n", logger.Lines));
        lock (durations)
        {
            Assert.NotEmpty(durations);
        }
    }

    private sealed class ListLogger : Microsoft.Extensions.Logging.ILogger
    {
        public List<string> Lines { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;

        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state,
            Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (Lines)
            {
                Lines.Add(formatter(state, exception));
            }
        }
    }

    [Fact]
    public void Describe_NeverPrintsCredentials()
    {
        var printed = new LibSqlProvider(new DatabaseOptions { Provider = "libsql", Url = "libsql://user:pass@db-org.turso.io/?authToken=abc", AuthToken = "tok" },
            Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance).Describe();

        Assert.Equal("https://db-org.turso.io", printed);
    }

    [Fact]
    public void Provider_WithoutUrl_RefusesToStartWithAClearMessage()
    {
        var ex = Assert.Throws<InvalidOperationException>(() =>
            new LibSqlProvider(new DatabaseOptions { Provider = "libsql" }, Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance));

        Assert.Contains("Database:Url", ex.Message);
    }

    [Fact]
    public void Busy_IsRecognisedSoTheUnitOfWorkRunsAgain()
    {
        var provider = new LibSqlProvider(new DatabaseOptions { Provider = "libsql", Url = "http://127.0.0.1:1" },
            Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance);

        Assert.True(provider.IsBusy(new LibSqlException("SQLITE_BUSY", "database is locked")));
        Assert.False(provider.IsBusy(new LibSqlException("SQLITE_CONSTRAINT_UNIQUE", "UNIQUE constraint failed")));
    }

    [Fact]
    public async Task Server_OnLibSql_MigratesAndServesAccounts()
    {
        var dataDirectory = TestServer.NewDataDirectory();
        await using var hrana = await HranaTestServer.StartAsync(Path.Combine(dataDirectory, "sqlstudio.db"));
        await using var server = await TestServer.StartAsync(o =>
        {
            o.Settings["Database:Provider"] = "libsql";
            o.Settings["Database:Url"] = hrana.Url;
        });

        var auth = new AuthClient(server);
        var tokens = await auth.RegisterVerifiedAsync();
        var me = await auth.SendAsync(HttpMethod.Get, "/api/auth/me", tokens.AccessToken);
        var provider = server.Services.GetRequiredService<IDbProvider>();

        Assert.Equal(System.Net.HttpStatusCode.OK, me.StatusCode);
        Assert.Equal("libsql", provider.Name);
        Assert.True(hrana.PipelineRequests > 10, $"only {hrana.PipelineRequests} pipelines reached the Hrana server");
        await using var sqlite = new SqliteConnection($"Data Source={Path.Combine(dataDirectory, "sqlstudio.db")};Pooling=False");
        Assert.Equal(1, await sqlite.ExecuteScalarAsync<long>("SELECT count(*) FROM users"));
        Directory.Delete(dataDirectory, recursive: true);
    }
}

/// <summary>The second pass of the server tests (<c>SQLSTUDIO_TEST_DB=libsql</c>) really runs on libSQL.</summary>
public sealed class ProviderSelectionTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task TestServer_RunsOnTheProviderTheRunAskedFor()
    {
        var provider = fixture.Server.Services.GetRequiredService<IDbProvider>();
        await new AuthClient(fixture.Server).RegisterVerifiedAsync();

        Assert.Equal(TestServer.UseLibSql ? "libsql" : "sqlite", provider.Name);
        Assert.Equal(TestServer.UseLibSql, fixture.Server.Sqld is not null);
        var answer = await fixture.Server.Client.GetAsync("/health/ready");
        // On libSQL the readiness check crossed the network to sqld; on SQLite nothing counts as a round trip.
        var trips = int.Parse(answer.Headers.GetValues("X-Db-Round-Trips").Single());
        Assert.Equal(TestServer.UseLibSql, trips > 0);
    }
}
