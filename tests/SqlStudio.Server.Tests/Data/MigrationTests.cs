using Dapper;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using SqlStudio.Server.Data;
using SqlStudio.Testing;

namespace SqlStudio.Server.Tests.Data;

public sealed class MigrationTests
{
    private static readonly string[] ExpectedTables =
    [
        "schema_migrations", "users", "connections", "query_tabs", "query_history", "saved_queries", "ai_sessions",
        "ai_messages", "ui_preferences", "sync_conflicts", "devices", "sessions", "refresh_tokens", "email_tokens",
        "external_logins", "audit_log", "sync_mutations", "sync_activity", "imports", "import_journal",
        "subscriptions", "stripe_customers", "stripe_events", "saved_queries_fts", "query_history_fts",
    ];

    private static readonly string[] SyncedTables =
        ["connections", "query_tabs", "query_history", "saved_queries", "ai_sessions", "ai_messages", "ui_preferences"];

    [Fact]
    public async Task Startup_EmptyFolder_CreatesEveryTable()
    {
        await using var server = await TestServer.StartAsync();

        await using var connection = await OpenAsync(server.DatabasePath);
        var tables = (await connection.QueryAsync<string>("SELECT name FROM sqlite_master WHERE type = 'table'")).ToHashSet();

        var missing = ExpectedTables.Except(tables).ToList();
        Assert.True(missing.Count == 0, $"missing tables: {string.Join(", ", missing)}");
    }

    [Fact]
    public async Task Schema_EverySyncedTable_HasUserSeqIndex()
    {
        await using var server = await TestServer.StartAsync();
        await using var connection = await OpenAsync(server.DatabasePath);

        foreach (var table in SyncedTables)
        {
            var indexed = await connection.QueryAsync<string>(
                $"""
                SELECT group_concat(ii.name, ',') FROM pragma_index_list('{table}') il
                JOIN pragma_index_info(il.name) ii GROUP BY il.name
                """);
            Assert.Contains("user_id,server_seq", indexed);
        }
    }

    [Fact]
    public async Task DownThenUp_AppliedSchema_LeavesIdenticalSchema()
    {
        await using var server = await TestServer.StartAsync();
        var runner = server.Services.GetRequiredService<MigrationRunner>();
        var before = await SchemaAsync(server.DatabasePath);

        var reverted = await runner.DownAsync(0);
        var afterDown = await SchemaAsync(server.DatabasePath);
        var applied = await runner.UpAsync();
        var after = await SchemaAsync(server.DatabasePath);

        Assert.Equal(runner.Migrations.Count, reverted.Count);
        Assert.Equal(["table:schema_migrations"], afterDown.Select(s => s.Split('\n')[0]));
        Assert.Equal(runner.Migrations.Count, applied.Count);
        Assert.Equal(before, after);
    }

    [Fact]
    public async Task Up_Twice_AppliesNothingTheSecondTime()
    {
        await using var server = await TestServer.StartAsync();
        var runner = server.Services.GetRequiredService<MigrationRunner>();
        var before = await SchemaAsync(server.DatabasePath);

        var applied = await runner.UpAsync();

        Assert.Empty(applied);
        Assert.Equal(before, await SchemaAsync(server.DatabasePath));
        Assert.All(await runner.StatusAsync(), s => Assert.True(s.Applied && !s.Changed));
    }

    [Fact]
    public async Task Startup_AppliedMigrationChanged_RefusesWithClearMessage()
    {
        var data = TestServer.NewDataDirectory();
        await using (var first = await TestServer.StartAsync(o => o.DataDirectory = data))
        {
            // What an edited 0001_initial.up.sql looks like to the database: a different checksum on record.
            await using var connection = await OpenAsync(first.DatabasePath);
            await connection.ExecuteAsync("UPDATE schema_migrations SET checksum = 'edited' WHERE version = 1");
        }

        var ex = await Assert.ThrowsAsync<MigrationException>(() => TestServer.StartAsync(o =>
        {
            o.DataDirectory = data;
            o.Settings["Logging:LogLevel:Microsoft.Extensions.Hosting"] = "None";
        }));

        Assert.Contains("0001_initial", ex.Message);
        Assert.Contains("Refusing to start", ex.Message);
        Assert.Contains("new migration", ex.Message);
    }

    [Fact]
    public async Task Startup_AutoMigrateOff_AppliesNothingAndIsNotReady()
    {
        await using var server = await TestServer.StartAsync(o => o.Settings["Database:AutoMigrate"] = "false");

        var ready = await server.Client.GetAsync("/health/ready");
        var runner = server.Services.GetRequiredService<MigrationRunner>();
        var pending = await runner.PendingCountAsync();

        Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Equal(runner.Migrations.Count, pending);
    }

    [Fact]
    public void Embedded_Migrations_AreNumberedInOrderWithBothDirections()
    {
        var migrations = Migration.Embedded();

        Assert.NotEmpty(migrations);
        Assert.Equal(Enumerable.Range(1, migrations.Count), migrations.Select(m => m.Version));
        Assert.All(migrations, m => Assert.False(string.IsNullOrWhiteSpace(m.DownSql)));
    }

    internal static async Task<SqliteConnection> OpenAsync(string path)
    {
        var connection = new SqliteConnection($"Data Source={path};Foreign Keys=True;Pooling=False");
        await connection.OpenAsync();
        return connection;
    }

    private static async Task<List<string>> SchemaAsync(string path)
    {
        await using var connection = await OpenAsync(path);
        var rows = await connection.QueryAsync<(string Type, string Name, string TableName, string? Sql)>(
            "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name");
        return rows.Select(r => $"{r.Type}:{r.Name}\n{r.TableName}\n{r.Sql}").ToList();
    }
}
