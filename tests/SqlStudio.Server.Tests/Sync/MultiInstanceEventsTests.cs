using System.Net;
using System.Text.Json.Nodes;
using SqlStudio.Testing;
using Xunit;
using static SqlStudio.Testing.SyncClient;

namespace SqlStudio.Server.Tests.Sync;

/// <summary>
/// Two server instances on one database with a real redis-server between them (Notifications:Redis): a commit on one
/// reaches the event streams on the other; with Redis gone, pushes still succeed and readiness says degraded.
/// </summary>
public sealed class MultiInstanceEventsTests : IAsyncLifetime
{
    private RedisServer _redis = null!;
    private TestServer _first = null!;
    private TestServer _second = null!;

    /// <summary>Each test: a real redis-server, and two instances on one database joined by it.</summary>
    public async Task InitializeAsync()
    {
        _redis = await RedisServer.StartAsync();
        _first = await TestServer.StartAsync(o => o.Settings["Notifications:Redis"] = _redis.ConnectionString);
        _second = await TestServer.StartAsync(o =>
        {
            o.SameDatabaseAs(_first);
            o.Settings["Notifications:Redis"] = _redis.ConnectionString;
        });
    }

    public async Task DisposeAsync()
    {
        await _second.DisposeAsync();
        await _first.DisposeAsync();
        await _redis.DisposeAsync();
    }

    private static JsonObject Query(string id, string title) =>
        Upsert("saved_queries", id, 0, "2026-11-20T10:00:00Z", new JsonObject { ["title"] = title, ["sql"] = "select 1" });

    [Fact]
    public async Task PushOnOneInstance_ReachesAStreamOnTheOther()
    {
        var user = await NewUserAsync(_first);
        await using var stream = await EventStream.OpenAsync(_first, user.Tokens.AccessToken);
        Assert.Equal("ready", (await stream.NextEventAsync())!.Event);

        var onSecond = For(_second, user.Tokens);
        var pushed = await onSecond.PushAsync("phone", Query("q", "from the other instance"));

        var changes = await stream.NextEventAsync();
        Assert.Equal("changes", changes!.Event);
        Assert.Equal(pushed.Cursor, changes.Cursor);
        Assert.Equal("phone", changes.Json["device_id"]!.GetValue<string>());
    }

    [Fact]
    public async Task RedisStopped_PushesStillSucceed_ReadinessDegraded_DataStillPulls()
    {
        var user = await NewUserAsync(_first);
        Assert.Contains("\"status\":\"healthy\"", await (await _second.Client.GetAsync("/health/ready")).Content.ReadAsStringAsync());

        await _redis.StopAsync();
        var onSecond = For(_second, user.Tokens);
        var push = await onSecond.PushRawAsync("phone", [Query("q", "pushed without redis")]);

        Assert.Equal(HttpStatusCode.OK, push.StatusCode);
        var ready = await _second.Client.GetAsync("/health/ready");
        Assert.Contains("\"status\":\"degraded\"", await ready.Content.ReadAsStringAsync());
        // Nothing is lost: the device on the first instance pulls it (its poll, or its long-poll) as ever.
        var (records, _) = await user.PullAllAsync();
        Assert.Equal("pushed without redis", records[("saved_queries", "q")]["title"]!.GetValue<string>());
    }
}
