using System.Diagnostics;
using SqlStudio.Testing;

namespace SqlStudio.Server.Tests.Data;

/// <summary>The operator command, in this process and as the built executable an operator runs.</summary>
public sealed class MigrateCommandTests
{
    [Fact]
    public async Task MigrateUpStatusDown_FreshDatabase_PrintsWhatItDid()
    {
        var data = TestServer.NewDataDirectory();
        var config = $"--Database:Path={Path.Combine(data, "ops.db")}";

        var (upCode, up) = await RunAsync("migrate", "up", config);
        var (againCode, again) = await RunAsync("migrate", "up", config);
        var (statusCode, status) = await RunAsync("migrate", "status", config);
        var (downCode, down) = await RunAsync("migrate", "down", "--to", "0", config);
        var (_, afterDown) = await RunAsync("migrate", "status", config);

        Assert.Equal(0, upCode);
        Assert.Contains("applied 0001_initial", up);
        Assert.Equal(0, againCode);
        Assert.Contains("nothing applied", again);
        Assert.Equal(0, statusCode);
        Assert.Matches(@"0001_initial\s+applied\s+\d{4}-\d\d-\d\dT", status);
        Assert.Equal(0, downCode);
        Assert.Contains("reverted 0001_initial", down);
        Assert.Matches(@"0001_initial\s+pending", afterDown);
    }

    [Fact]
    public async Task Migrate_UnknownArgument_FailsWithMessage()
    {
        var (code, output) = await RunAsync("migrate", "status", "bogus");

        Assert.NotEqual(0, code);
        Assert.Contains("bogus", output);
    }

    [Fact]
    public async Task BuiltExecutable_MigrateStatus_ListsMigrations()
    {
        var data = TestServer.NewDataDirectory();
        var dll = Path.Combine(AppContext.BaseDirectory, "SqlStudio.Server.dll");
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { dll, "migrate", "status", $"--Database:Path={Path.Combine(data, "exe.db")}" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = data,
        };

        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();

        Assert.True(process.ExitCode == 0, error);
        Assert.Matches(@"0001_initial\s+pending", output);
    }

    private static async Task<(int Code, string Output)> RunAsync(params string[] args)
    {
        var output = new StringWriter();
        var code = await OperatorCommands.RunAsync(args, output, output);
        return (code, output.ToString());
    }
}

public sealed class IntegrityCommandTests
{
    [Fact]
    public async Task IntegrityCheck_HealthyDatabase_ExitsZero_CorruptedCursor_ExitsOne()
    {
        var data = TestServer.NewDataDirectory();
        string email;
        // The operator command and the corruption below work on the embedded file the server left behind.
        await using (var server = await TestServer.StartAsync(o =>
        {
            o.DataDirectory = data;
            o.Settings["Database:Provider"] = "sqlite";
        }))
        {
            var user = await SyncClient.NewUserAsync(server);
            email = user.Tokens.User.Email;
            await user.PushAsync("a", SyncClient.Upsert("saved_queries", "q", 0, "2026-11-20T10:00:00Z",
                new System.Text.Json.Nodes.JsonObject { ["title"] = "t", ["sql"] = "select 1" }));
        }
        var config = $"--Database:Path={Path.Combine(data, "sqlstudio.db")}";

        var healthy = new StringWriter();
        var healthyCode = await OperatorCommands.RunAsync(["integrity-check", "--user", email, config], healthy, healthy);

        // A record whose cursor is ahead of its user's sequence: what a bug in the write path would leave.
        await using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(data, "sqlstudio.db")};Pooling=False"))
        {
            await Dapper.SqlMapper.ExecuteAsync(connection, "UPDATE saved_queries SET server_seq = 999");
        }
        var broken = new StringWriter();
        var brokenCode = await OperatorCommands.RunAsync(["integrity-check", config], broken, broken);

        Assert.True(healthyCode == 0, healthy.ToString());
        Assert.Contains("No problems found.", healthy.ToString());
        Assert.Contains("full-text index saved_queries_fts", healthy.ToString());
        Assert.Equal(1, brokenCode);
        Assert.Contains("PROBLEM  cursor: no record ahead of its user's sync_seq: 1 found", broken.ToString());
    }
}
