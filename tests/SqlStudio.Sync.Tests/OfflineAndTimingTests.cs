using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Dapper;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;
using SqlStudio.Testing;

namespace SqlStudio.Sync.Tests;

public sealed class OfflineAndTimingTests
{
    [Fact]
    public async Task ServerDown_ChangesQueue_SurviveRestart_ArriveExactlyOnce()
    {
        var data = TestServer.NewDataDirectory();
        var first = await TestServer.StartAsync(o => o.DataDirectory = data);
        var address = first.BaseAddress;
        await using var devices = await Devices.StartAsync(first);
        var device = await devices.OpenAsync("laptop");
        await device.Manager.SyncNowAsync();
        await first.DisposeAsync();

        for (var i = 0; i < 20; i++)
        {
            await device.Manager.PushChangeAsync("saved_queries", $"q{i}", new JsonObject { ["title"] = $"Q{i}", ["sql"] = $"select {i}" });
        }
        await Assert.ThrowsAsync<OfflineException>(() => device.Manager.SyncNowAsync());
        Assert.Equal(SyncState.Offline, device.Manager.Status.State);
        Assert.Equal(20, device.Manager.Status.Pending);

        // The app is closed and started again while the server is still down: the outbox is on disk.
        await devices.CloseAsync(device);
        device = await devices.OpenAsync("laptop");
        Assert.Equal(20, await device.Store.PendingCountAsync());
        // What another process (the CLI's `sync status`) reads of it: typed, the reason without a prefix to parse.
        var report = await device.Manager.ReadStatusAsync(signedIn: true);
        Assert.Equal((SyncState.Offline, 20L), (report.State, report.Pending));
        Assert.False(string.IsNullOrEmpty(report.LastError));
        Assert.DoesNotContain("offline:", report.LastError);

        await using var second = await TestServer.StartAsync(o =>
        {
            o.DataDirectory = data;
            o.Settings["urls"] = address.ToString().TrimEnd('/');
        });
        var result = await device.Manager.SyncNowAsync();
        await device.Manager.SyncNowAsync();

        Assert.Equal(20, result.Pushed);
        Assert.Equal(0, await device.Store.PendingCountAsync());
        await using var db = new SqliteConnection($"Data Source={second.DatabasePath};Pooling=False");
        Assert.Equal(20, await db.ExecuteScalarAsync<long>("SELECT count(*) FROM saved_queries"));
        Assert.Equal(1, await db.ExecuteScalarAsync<long>("SELECT max(version) FROM saved_queries"));
        Assert.Equal(20, await db.ExecuteScalarAsync<long>("SELECT count(*) FROM sync_mutations"));
    }

    [Fact]
    public async Task Worker_OfflineThenServerBack_DrainsOutboxByItself()
    {
        var data = TestServer.NewDataDirectory();
        var first = await TestServer.StartAsync(o => o.DataDirectory = data);
        var address = first.BaseAddress;
        await using var devices = await Devices.StartAsync(first);
        var options = new SyncClientOptions { PollInterval = TimeSpan.FromMilliseconds(200), RetryInitial = TimeSpan.FromMilliseconds(50), RetryMax = TimeSpan.FromMilliseconds(200) };
        var device = await devices.OpenAsync("laptop", options);
        await device.Manager.SyncNowAsync();
        await first.DisposeAsync();
        var offline = WaitFor(device.Manager, s => s.State == SyncState.Offline);
        device.Manager.Start();

        await device.Manager.PushChangeAsync("query_tabs", "t1", new JsonObject { ["title"] = "written offline" });
        await offline;
        var drained = WaitFor(device.Manager, s => s is { State: SyncState.Idle, Pending: 0 });
        await using var second = await TestServer.StartAsync(o =>
        {
            o.DataDirectory = data;
            o.Settings["urls"] = address.ToString().TrimEnd('/');
        });
        await drained;

        var (records, _) = await SyncClient.For(second, devices.User).PullAllAsync();
        Assert.Equal("written offline", records[("query_tabs", "t1")]["title"]!.GetValue<string>());
    }

    /// <summary>
    /// Issue #22 §1: a server down for a minute never parks the outbox. On the device's clock, the change is on the server
    /// within five seconds of the server being back (the clock stops there: a later try would never come), live again.
    /// </summary>
    [Fact]
    public async Task ServerDownAMinute_BackUp_WaitingChangeLeavesWithinFiveSeconds()
    {
        var data = TestServer.NewDataDirectory();
        var first = await TestServer.StartAsync(o => o.DataDirectory = data);
        var address = first.BaseAddress;
        await using var devices = await Devices.StartAsync(first);
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var device = await devices.OpenAsync("laptop", new SyncClientOptions(), time);
        await device.Manager.SyncNowAsync();
        await first.DisposeAsync();
        var offline = WaitFor(device.Manager, s => s.State == SyncState.Offline);
        device.Manager.Start();
        await device.Manager.PushChangeAsync("query_tabs", "t1", new JsonObject { ["title"] = "written while the server was down" });
        await offline;

        // A minute of the device's clock with the server down: every try the worker makes fails to connect.
        await AdvanceAsync(time, TimeSpan.FromSeconds(60));
        var stateWhileDown = device.Manager.Status.State;
        var drained = WaitFor(device.Manager, s => s is { State: SyncState.Idle, Pending: 0 });
        await using var second = await TestServer.StartAsync(o =>
        {
            o.DataDirectory = data;
            o.Settings["urls"] = address.ToString().TrimEnd('/');
        });
        await AdvanceAsync(time, TimeSpan.FromSeconds(5), until: drained);
        await drained;

        Assert.Equal(SyncState.Offline, stateWhileDown);
        var (records, _) = await SyncClient.For(second, devices.User).PullAllAsync();
        Assert.Equal("written while the server was down", records[("query_tabs", "t1")]["title"]!.GetValue<string>());
    }

    /// <summary>Moves the device's clock in half-second steps, letting its background work run between them.</summary>
    private static async Task AdvanceAsync(FakeTimeProvider time, TimeSpan span, Task? until = null)
    {
        for (var moved = TimeSpan.Zero; moved < span && until?.IsCompleted != true; moved += TimeSpan.FromMilliseconds(500))
        {
            time.Advance(TimeSpan.FromMilliseconds(500));
            // Real work (a connection attempt, a push) happens between steps; this yields to it, it does not wait out time.
            for (var i = 0; i < 20 && until?.IsCompleted != true; i++)
            {
                await Task.Delay(5);
            }
        }
    }

    [Fact]
    public async Task TabContent_HundredKeystrokes_MakeAtMostTwoPushes_HistoryBatchesByTen()
    {
        await using var server = await TestServer.StartAsync();
        await using var devices = await Devices.StartAsync(server);
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var device = await devices.OpenAsync("editor", time: time);

        await device.Manager.PushChangeAsync("query_tabs", "tab", new JsonObject { ["title"] = "Scratch" });
        Assert.Equal(1, await device.Manager.PushDueAsync());
        for (var key = 0; key < 100; key++)
        {
            await device.Manager.PushChangeAsync("query_tabs", "tab", new JsonObject { ["content"] = new string('x', key + 1) });
            time.Advance(TimeSpan.FromMilliseconds(30));
            Assert.Equal(0, await device.Manager.PushDueAsync());
        }
        time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(1, await device.Manager.PushDueAsync());
        Assert.Equal(2, device.Manager.PushRequests);

        for (var i = 0; i < 9; i++)
        {
            await device.Manager.PushChangeAsync("query_history", $"h{i}", new JsonObject { ["query_text"] = $"select {i}", ["executed_at"] = "2026-11-26T10:00:00Z" });
        }
        Assert.Equal(0, await device.Manager.PushDueAsync());
        await device.Manager.PushChangeAsync("query_history", "h9", new JsonObject { ["query_text"] = "select 9", ["executed_at"] = "2026-11-26T10:00:00Z" });
        Assert.Equal(10, await device.Manager.PushDueAsync());
        Assert.Equal(3, device.Manager.PushRequests);

        var (records, _) = await SyncClient.For(server, devices.User).PullAllAsync();
        Assert.Equal(new string('x', 100), records[("query_tabs", "tab")]["content"]!.GetValue<string>());
    }

    [Fact]
    public async Task AiChats_WaitForTheBackgroundInterval_PreferencesGoAtOnce()
    {
        await using var server = await TestServer.StartAsync();
        await using var devices = await Devices.StartAsync(server);
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var device = await devices.OpenAsync("d", time: time);

        await device.Manager.PushChangeAsync("ai_sessions", "chat", new JsonObject { ["title"] = "Chat" });
        await device.Manager.PushChangeAsync("ui_preferences", "font", new JsonObject { ["key"] = "font", ["value"] = 14 });

        Assert.Equal(1, await device.Manager.PushDueAsync());
        time.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(1, await device.Manager.PushDueAsync());
    }

    [Fact]
    public async Task Worker_IntroducesItsDevice_ByNameAndSystem_OnceNotEveryRound()
    {
        await using var server = await TestServer.StartAsync();
        var user = await new AuthClient(server).RegisterVerifiedAsync();
        var counting = new CountingHandler(new SocketsHttpHandler { AutomaticDecompression = System.Net.DecompressionMethods.All });
        await using var device = await SyncProfile.OpenAsync(TestServer.NewDataDirectory(), "laptop", server.BaseAddress,
            new SyncClientOptions { DeviceName = "Ada's laptop", PollInterval = TimeSpan.FromMilliseconds(100), Realtime = false }, handler: counting);
        await device.Auth.SignInAsync(server.BaseAddress, user.User.Email, AuthClient.Password, "laptop", "laptop");
        var rounds = 0;
        var threeRounds = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        device.Manager.StatusChanged += (_, status) =>
        {
            if (status.State == SyncState.Idle && Interlocked.Increment(ref rounds) == 3)
            {
                threeRounds.TrySetResult();
            }
        };

        device.Manager.Start();
        await threeRounds.Task.WaitAsync(TimeSpan.FromSeconds(20));

        var deviceId = await device.Store.GetMetaAsync("device_id");
        var listed = (await SyncClient.For(server, user).Http.GetFromJsonAsync<List<SqlStudio.Contracts.DeviceInfo>>("/api/sync/devices", SyncJson.Options))!
            .Single(d => d.DeviceId == deviceId);
        Assert.Equal("Ada's laptop", listed.Name);
        Assert.Equal(DeviceIdentity.Platform(), listed.Platform);
        Assert.False(string.IsNullOrEmpty(listed.AppVersion));
        Assert.Equal(1, counting.Count(HttpMethod.Post, "/api/sync/devices"));
    }

    private sealed class CountingHandler(HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        private readonly System.Collections.Concurrent.ConcurrentBag<(HttpMethod, string)> _sent = [];

        public int Count(HttpMethod method, string path) => _sent.Count(s => s.Item1 == method && s.Item2 == path);

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            _sent.Add((request.Method, request.RequestUri!.AbsolutePath));
            return base.SendAsync(request, cancellationToken);
        }
    }

    private static Task WaitFor(SyncManager manager, Func<SyncStatus, bool> condition)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        manager.StatusChanged += (_, status) =>
        {
            if (condition(status))
            {
                done.TrySetResult();
            }
        };
        return done.Task.WaitAsync(TimeSpan.FromSeconds(20));
    }
}
