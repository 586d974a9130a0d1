using Dapper;
using SqlStudio.LibSql;
using SqlStudio.Testing;

namespace SqlStudio.Server.Tests.LibSql;

/// <summary>
/// Write batches sent as one transaction (<see cref="LibSqlBatch.ExecuteAsOneAsync"/>) on the real libsql-server: each
/// batch keeps or loses its own writes exactly as if it had run alone, in one round trip.
/// </summary>
public sealed class GroupCommitTests : IAsyncLifetime
{
    private readonly string _folder = TestServer.NewDataDirectory();
    private SqldServer _sqld = null!;

    public async Task InitializeAsync()
    {
        _sqld = await SqldServer.StartAsync(_folder);
        await using var connection = Open();
        await connection.ExecuteAsync("CREATE TABLE t (id INTEGER PRIMARY KEY, note TEXT UNIQUE) STRICT");
        // Like SQLITE_FULL or an interrupt: an error that takes the whole transaction with it, not only the statement.
        await connection.ExecuteAsync("CREATE TRIGGER t_doom BEFORE INSERT ON t WHEN new.note = 'doom' BEGIN SELECT RAISE(ROLLBACK, 'doomed'); END");
    }

    public async Task DisposeAsync()
    {
        await _sqld.DisposeAsync();
        Directory.Delete(_folder, recursive: true);
    }

    private int _roundTrips;

    private LibSqlConnection Open()
    {
        var connection = new LibSqlConnection($"Data Source={_sqld.Url};Auth Token={_sqld.Token}")
        {
            RoundTripCompleted = _ => Interlocked.Increment(ref _roundTrips),
        };
        connection.Open();
        return connection;
    }

    private static LibSqlBatch Batch(params string[] statements)
    {
        var batch = new LibSqlBatch();
        foreach (var sql in statements)
        {
            batch.BatchCommands.Add(new LibSqlBatchCommand { CommandText = sql });
        }
        return batch;
    }

    private async Task<List<string>> NotesAsync()
    {
        await using var connection = Open();
        return (await connection.QueryAsync<string>("SELECT note FROM t ORDER BY id")).ToList();
    }

    [Fact]
    public async Task FailingBatch_LosesOnlyItsOwnWrites_TheOthersCommit_InOneRoundTrip()
    {
        await using (var setup = Open())
        {
            await setup.ExecuteAsync("INSERT INTO t (id, note) VALUES (1, 'taken')");
        }
        await using var connection = Open();
        _roundTrips = 0;

        var outcomes = await LibSqlBatch.ExecuteAsOneAsync(connection,
        [
            Batch("INSERT INTO t (id, note) VALUES (10, 'a')", "SELECT count(*) FROM t"),
            Batch("INSERT INTO t (id, note) VALUES (20, 'b')", "INSERT INTO t (id, note) VALUES (21, 'taken')", "INSERT INTO t (id, note) VALUES (22, 'c')"),
            Batch("INSERT INTO t (id, note) VALUES (30, 'd')"),
        ], 30, CancellationToken.None);

        Assert.Equal(1, _roundTrips);
        Assert.Null(outcomes[0].Error);
        var reader = outcomes[0].Reader!;
        Assert.True(await reader.NextResultAsync());
        Assert.True(await reader.ReadAsync());
        Assert.Equal(2L, reader.GetInt64(0));
        Assert.Null(outcomes[1].Reader);
        Assert.True(outcomes[1].Error!.IsConstraintViolation, outcomes[1].Error!.Message);
        Assert.Equal(1, outcomes[1].Error!.BatchIndex);
        Assert.Null(outcomes[2].Error);
        Assert.Equal(["taken", "a", "d"], await NotesAsync());
    }

    [Fact]
    public async Task ErrorThatRollsBackEverything_EachBatchRunsAgainOnItsOwn_NothingLostOrDoubled()
    {
        await using var connection = Open();
        _roundTrips = 0;

        var outcomes = await LibSqlBatch.ExecuteAsOneAsync(connection,
        [
            Batch("INSERT INTO t (id, note) VALUES (10, 'a')"),
            Batch("INSERT INTO t (id, note) VALUES (20, 'b')", "INSERT INTO t (id, note) VALUES (21, 'doom')"),
            Batch("INSERT INTO t (id, note) VALUES (30, 'd')"),
        ], 30, CancellationToken.None);

        Assert.Equal(2, _roundTrips);
        Assert.Null(outcomes[0].Error);
        Assert.Contains("doomed", outcomes[1].Error!.Message, StringComparison.Ordinal);
        Assert.Null(outcomes[2].Error);
        Assert.Equal(["a", "d"], await NotesAsync());
    }

    [Fact]
    public async Task ConnectionIsLeftOutsideATransaction_AndUsableAfterAFailedGroup()
    {
        await using var connection = Open();
        await LibSqlBatch.ExecuteAsOneAsync(connection,
            [Batch("INSERT INTO t (id, note) VALUES (1, 'x')"), Batch("INSERT INTO t (id, note) VALUES (1, 'dup')")], 30, CancellationToken.None);

        await connection.ExecuteAsync("INSERT INTO t (id, note) VALUES (2, 'y')");

        Assert.Equal(["x", "y"], await NotesAsync());
    }

    [Fact]
    public async Task ReadBatches_InOneRequest_EachGetsItsOwnRowsOrItsOwnError()
    {
        await using (var setup = Open())
        {
            await setup.ExecuteAsync("INSERT INTO t (id, note) VALUES (1, 'one'), (2, 'two')");
        }
        await using var connection = Open();
        _roundTrips = 0;
        LibSqlBatch Read(params string[] statements)
        {
            var batch = Batch(statements);
            batch.BeginStatement = null;
            return batch;
        }

        var outcomes = await LibSqlBatch.ExecuteAsOneAsync(connection,
            [Read("SELECT note FROM t WHERE id = 1"), Read("SELECT 1", "SELECT nope FROM missing"), Read("SELECT count(*) FROM t")], 30, CancellationToken.None);

        Assert.Equal(1, _roundTrips);
        Assert.True(await outcomes[0].Reader!.ReadAsync());
        Assert.Equal("one", outcomes[0].Reader!.GetString(0));
        Assert.Contains("missing", outcomes[1].Error!.Message, StringComparison.Ordinal);
        Assert.Equal(1, outcomes[1].Error!.BatchIndex);
        Assert.True(await outcomes[2].Reader!.ReadAsync());
        Assert.Equal(2L, outcomes[2].Reader!.GetInt64(0));
    }
}
