using System.Diagnostics;
using System.Text.Json.Nodes;
using SqlStudio.Testing;

namespace SqlStudio.Sync.Tests;

/// <summary>
/// Devices with their workers running and no explicit pull or sync in the test: what one device changes reaches the
/// others through the event stream (the poll interval is an hour, so nothing else could bring it).
/// </summary>
public sealed class RealtimeTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private static SyncClientOptions LiveOnly() => new()
    {
        PollInterval = TimeSpan.FromHours(1),
        HistoryMaxDelay = TimeSpan.Zero,
        AiDelay = TimeSpan.Zero,
        TabContentDebounce = TimeSpan.Zero,
        ReconnectInitial = TimeSpan.FromMilliseconds(50),
        ReconnectMax = TimeSpan.FromMilliseconds(500),
        StreamSilence = TimeSpan.FromSeconds(2),
        QuickFailure = TimeSpan.FromSeconds(1),
        LongPollSeconds = 5,
    };

    /// <summary>Waits (at most 15 s) until the device's store shows the condition; fails with what it saw.</summary>
    private static async Task<T> EventuallyAsync<T>(Func<Task<T?>> probe, string what)
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < TimeSpan.FromSeconds(15))
        {
            if (await probe() is { } found)
            {
                return found;
            }
            await Task.Delay(20);
        }
        throw new Xunit.Sdk.XunitException($"Not seen within 15 s: {what}");
    }

    private static Task<LocalRecord> ArrivedAsync(SyncProfile device, string type, string id, string field, string value) =>
        EventuallyAsync(async () => await device.Store.GetAsync(type, id) is { } r && r.Data[field]?.ToString() == value ? r : null,
            $"{type} {id}.{field} = {value}");

    [Fact]
    public async Task EveryType_EditedOnA_AppearsOnB_WithBothWorkersRunning()
    {
        await using var devices = await Devices.StartAsync(fixture.Server);
        var a = await devices.OpenAsync("laptop", LiveOnly());
        var b = await devices.OpenAsync("desktop", LiveOnly());
        var arrivedTypes = new System.Collections.Concurrent.ConcurrentDictionary<string, int>();
        b.Manager.ChangesPulled += (_, pulled) =>
        {
            foreach (var type in pulled.Types)
            {
                arrivedTypes.AddOrUpdate(type, pulled.Count, (_, n) => n + pulled.Count);
            }
        };
        a.Manager.Start();
        b.Manager.Start();
        await EventuallyAsync(() => Task.FromResult(b.Manager.Status.Realtime == RealtimeMode.Live ? "live" : null), "desktop live");

        await a.Manager.PushChangeAsync("connections", "c1", new JsonObject { ["name"] = "prod", ["driver"] = "postgres", ["port"] = 5432 });
        await a.Manager.PushChangeAsync("query_tabs", "t1", new JsonObject { ["title"] = "Orders", ["content"] = "select 1" });
        await a.Manager.PushChangeAsync("query_history", "h1", new JsonObject { ["query_text"] = "select 42", ["executed_at"] = "2026-11-26T10:00:00Z" });
        await a.Manager.PushChangeAsync("saved_queries", "s1", new JsonObject { ["title"] = "Revenue", ["sql"] = "select 1" });
        await a.Manager.PushChangeAsync("ai_sessions", "chat", new JsonObject { ["title"] = "Index advice" });
        await a.Manager.PushChangeAsync("ai_messages", "m1", new JsonObject { ["session_id"] = "chat", ["role"] = "user", ["content"] = "Which index?" });
        await a.Manager.PushChangeAsync("ui_preferences", "theme", new JsonObject { ["key"] = "theme", ["value"] = "dark" });

        await ArrivedAsync(b, "connections", "c1", "name", "prod");
        await ArrivedAsync(b, "query_tabs", "t1", "title", "Orders");
        await ArrivedAsync(b, "query_history", "h1", "query_text", "select 42");
        await ArrivedAsync(b, "saved_queries", "s1", "title", "Revenue");
        await ArrivedAsync(b, "ai_sessions", "chat", "title", "Index advice");
        await ArrivedAsync(b, "ai_messages", "m1", "content", "Which index?");
        await ArrivedAsync(b, "ui_preferences", "theme", "value", "dark");
        // The app heard of every type's arrival (ChangesPulled is how its views know to refresh).
        Assert.Equal(["ai_messages", "ai_sessions", "connections", "query_history", "query_tabs", "saved_queries", "ui_preferences"],
            arrivedTypes.Keys.Order());

        // And back: an edit on B reaches A.
        await b.Manager.PushChangeAsync("saved_queries", "s1", new JsonObject { ["title"] = "Revenue by month" });
        await ArrivedAsync(a, "saved_queries", "s1", "title", "Revenue by month");
        Assert.Equal(RealtimeMode.Live, a.Manager.Status.Realtime);
    }

    [Fact]
    public async Task StreamCut_Reconnects_NothingMissed()
    {
        await using var proxy = new TcpProxy(fixture.Server.BaseAddress);
        await using var devices = await Devices.StartAsync(fixture.Server);
        var a = await devices.OpenAsync("laptop", LiveOnly());
        var b = await devices.OpenAsync("desktop", LiveOnly(), server: proxy.Address);
        a.Manager.Start();
        b.Manager.Start();
        // Live, and the first round (the pull at start) is over: what arrives next can only come through a reconnect.
        await EventuallyAsync(() => Task.FromResult(b.Manager.StreamConnections >= 1 && b.Manager.Status is { Realtime: RealtimeMode.Live, LastSyncedAt: not null, State: SyncState.Idle }
            ? "live" : null), "live and synced");

        proxy.CutAll();
        // Edits while B's stream is down: B learns of them when it reconnects (it pulls at once on every connect).
        await a.Manager.PushChangeAsync("saved_queries", "during-cut", new JsonObject { ["title"] = "made while cut", ["sql"] = "select 1" });
        await ArrivedAsync(b, "saved_queries", "during-cut", "title", "made while cut");
        // (A round the first "ready" woke may still bring that edit before the reconnect: either way B reconnects.)
        await EventuallyAsync(() => Task.FromResult(b.Manager.StreamConnections >= 2 ? "reconnected" : null), "a second stream connection");

        await a.Manager.PushChangeAsync("saved_queries", "after", new JsonObject { ["title"] = "made after", ["sql"] = "select 1" });
        await ArrivedAsync(b, "saved_queries", "after", "title", "made after");
    }

    [Fact]
    public async Task BufferingProxy_FallsBackToLongPoll_StillDelivers()
    {
        await using var proxy = new TcpProxy(fixture.Server.BaseAddress) { BufferEventStreams = true };
        await using var devices = await Devices.StartAsync(fixture.Server);
        var a = await devices.OpenAsync("laptop", LiveOnly());
        var b = await devices.OpenAsync("desktop", LiveOnly(), server: proxy.Address);
        a.Manager.Start();
        b.Manager.Start();

        // The stream never shows a byte through this proxy: after a silent stretch B long-polls instead.
        await EventuallyAsync(() => Task.FromResult(b.Manager.Status.Realtime == RealtimeMode.LongPoll ? "long-poll" : null), "long-poll");
        await a.Manager.PushChangeAsync("saved_queries", "s1", new JsonObject { ["title"] = "through long-poll", ["sql"] = "select 1" });
        await ArrivedAsync(b, "saved_queries", "s1", "title", "through long-poll");
    }
}
