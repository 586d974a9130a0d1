using System.Diagnostics;
using System.Text.Json.Nodes;
using Dapper;
using Microsoft.Data.Sqlite;
using SqlStudio.Sync;
using SqlStudio.Testing;

namespace SqlStudio.Cli.Tests;

/// <summary>The client killed with SIGKILL in the middle of a 5,000-mutation push, restarted, and finished.</summary>
public sealed class KillTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task SyncNow_KilledMidPush_RestartFinishes_EachMutationExactlyOnce()
    {
        var home = TestServer.NewDataDirectory();
        var email = AuthClient.NewEmail("kill");
        await new AuthClient(fixture.Server).RegisterVerifiedAsync(email);
        string deviceId;
        await using (var profile = await SyncProfile.OpenAsync(home, "laptop", fixture.Server.BaseAddress))
        {
            await profile.Auth.SignInAsync(fixture.Server.BaseAddress, email, AuthClient.Password, "laptop", "laptop");
            deviceId = await profile.Manager.DeviceIdAsync();
            await profile.Manager.PushChangesAsync(Enumerable.Range(0, 5000).Select(i =>
                ("saved_queries", $"q{i:D4}", new JsonObject { ["title"] = $"Query {i}", ["sql"] = $"select {i} from generate_series(1, 10)" })));
        }

        using var client = Process.Start(new ProcessStartInfo("dotnet")
        {
            ArgumentList = { Path.Combine(AppContext.BaseDirectory, "sqlstudio.dll"), "sync", "now", "--batch-size", "100", "--home", home, "--profile", "laptop" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        var arrived = await WaitUntilAsync(async () => await CountAsync(deviceId) >= 500);
        client.Kill(entireProcessTree: true);
        await client.WaitForExitAsync();
        var beforeRestart = await CountAsync(deviceId);

        var output = new StringWriter();
        var code = await CliApp.RunAsync(["sync", "now", "--home", home, "--profile", "laptop"], output, output);

        Assert.True(arrived, "the first run never got going");
        Assert.InRange(beforeRestart, 500, 4999);
        Assert.True(code == 0, output.ToString());
        await using var db = new SqliteConnection($"Data Source={fixture.Server.DatabasePath};Pooling=False");
        Assert.Equal(5000, await CountAsync(deviceId));
        var userId = await db.ExecuteScalarAsync<string>("SELECT user_id FROM users WHERE email = @email", new { email });
        Assert.Equal(5000, await db.ExecuteScalarAsync<long>("SELECT count(*) FROM saved_queries WHERE user_id = @userId", new { userId }));
        Assert.Equal(1, await db.ExecuteScalarAsync<long>("SELECT max(version) FROM saved_queries WHERE user_id = @userId", new { userId }));
    }

    private async Task<long> CountAsync(string deviceId)
    {
        await using var db = new SqliteConnection($"Data Source={fixture.Server.DatabasePath};Pooling=False");
        return await db.ExecuteScalarAsync<long>("SELECT count(*) FROM sync_mutations WHERE device_id = @deviceId", new { deviceId });
    }

    private static async Task<bool> WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (await condition())
            {
                return true;
            }
            await Task.Delay(5);
        }
        return false;
    }
}
