using System.Text.Json.Nodes;
using SqlStudio.Contracts;
using SqlStudio.Testing;

namespace SqlStudio.Sync.Tests;

public sealed class RebaseAndPolicyTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task Pull_NeverOverwritesALocalEditNotYetPushed_ThenMerges()
    {
        await using var devices = await Devices.StartAsync(fixture.Server);
        var a = await devices.OpenAsync("a");
        var b = await devices.OpenAsync("b");
        await a.Manager.PushChangeAsync("saved_queries", "q", new JsonObject { ["title"] = "Base", ["sql"] = "select 1" });
        await a.Manager.SyncNowAsync();
        await b.Manager.SyncNowAsync();

        await a.Manager.PushChangeAsync("saved_queries", "q", new JsonObject { ["sql"] = "select 'mine, not pushed yet'" });
        await b.Manager.PushChangeAsync("saved_queries", "q", new JsonObject { ["title"] = "Renamed on b" });
        await b.Manager.SyncNowAsync();
        await a.Manager.PullChangesAsync();

        var local = (await a.Store.GetAsync("saved_queries", "q"))!;
        Assert.True(local.Pending);
        Assert.Equal("select 'mine, not pushed yet'", local.Data["sql"]!.GetValue<string>());
        Assert.Equal("Renamed on b", local.Data["title"]!.GetValue<string>());

        var result = await a.Manager.SyncNowAsync();
        await b.Manager.SyncNowAsync();
        Assert.Equal(0, result.Conflicts);
        var onB = (await b.Store.GetAsync("saved_queries", "q"))!;
        Assert.Equal("select 'mine, not pushed yet'", onB.Data["sql"]!.GetValue<string>());
        Assert.Equal("Renamed on b", onB.Data["title"]!.GetValue<string>());
    }

    [Fact]
    public void Backoff_GrowsFromOneSecondToFiveMinutesWithJitter()
    {
        var options = new SyncClientOptions();
        var random = new Random(7);

        var first = Enumerable.Range(0, 50).Select(_ => SyncPolicy.Backoff(1, options, random)).ToList();
        var fifth = Enumerable.Range(0, 50).Select(_ => SyncPolicy.Backoff(5, options, random)).ToList();
        var late = Enumerable.Range(0, 50).Select(_ => SyncPolicy.Backoff(30, options, random)).ToList();

        Assert.All(first, d => Assert.InRange(d.TotalSeconds, 0.5, 1.5));
        Assert.All(fifth, d => Assert.InRange(d.TotalSeconds, 8, 24));
        Assert.All(late, d => Assert.InRange(d.TotalMinutes, 2.5, 7.5));
        Assert.True(first.Distinct().Count() > 10, "jitter spreads retries");
    }

    [Fact]
    public void StripSecrets_TakesPasswordsAndKeysOutOfConnections()
    {
        var (shareable, secrets) = SyncPolicy.StripSecrets("connections", new JsonObject
        {
            ["name"] = "db", ["password"] = "p", ["ssh_passphrase"] = "s", ["options"] = new JsonObject { ["sslmode"] = "require", ["private_key"] = "k" },
        });

        Assert.Equal(["name", "options"], shareable.Select(p => p.Key).Order());
        Assert.Equal(["require"], shareable["options"]!.AsObject().Select(p => p.Value!.GetValue<string>()));
        Assert.Equal(3, secrets.Count);
    }

    [Fact]
    public async Task Worker_AfterFailedAttempts_IsParkedWithVisibleError()
    {
        await using var server = await TestServer.StartAsync();
        await using var devices = await Devices.StartAsync(server);
        var device = await devices.OpenAsync("d", new SyncClientOptions
        {
            RetryInitial = TimeSpan.FromMilliseconds(10), RetryMax = TimeSpan.FromMilliseconds(20), AttemptsPerRound = 2,
            ParkedRetry = TimeSpan.FromMinutes(10), PollInterval = TimeSpan.FromMilliseconds(50),
        });
        // The server refuses every push: the device was removed from the account.
        await device.Manager.PushChangeAsync("query_tabs", "t", new JsonObject { ["title"] = "x" });
        await device.Manager.SyncNowAsync();
        var id = await device.Manager.DeviceIdAsync();
        await SyncClient.For(server, devices.User).Http.DeleteAsync($"/api/sync/devices/{id}");
        await device.Manager.PushChangeAsync("query_tabs", "t", new JsonObject { ["title"] = "y" });
        var parked = new TaskCompletionSource<SyncStatus>();
        device.Manager.StatusChanged += (_, s) =>
        {
            if (s is { State: SyncState.Error, LastError: { } e } && e.Contains("stopped after"))
            {
                parked.TrySetResult(s);
            }
        };

        device.Manager.Start();
        var status = await parked.Task.WaitAsync(TimeSpan.FromSeconds(20));

        Assert.Contains("removed from your account", status.LastError);
        Assert.Equal(1, status.Pending);
    }
}
