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
        // The session cache lives 10 minutes here: what stops a revoked token on the other instance can only be Redis.
        _first = await TestServer.StartAsync(o =>
        {
            o.Settings["Notifications:Redis"] = _redis.ConnectionString;
            o.Settings["Auth:SessionCacheLifetime"] = "00:10:00";
        });
        _second = await TestServer.StartAsync(o =>
        {
            o.SameDatabaseAs(_first);
            o.Settings["Notifications:Redis"] = _redis.ConnectionString;
            o.Settings["Auth:SessionCacheLifetime"] = "00:10:00";
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

    /// <summary>Polls until <paramref name="status"/> answers (at most 5 s: the event crosses Redis well within 1 s).</summary>
    private static async Task<HttpStatusCode> BecomesAsync(Func<Task<HttpStatusCode>> request, HttpStatusCode status)
    {
        var deadline = DateTime.UtcNow.AddSeconds(5);
        var last = await request();
        while (last != status && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
            last = await request();
        }
        return last;
    }

    [Fact]
    public async Task LogoutOnOneInstance_StopsTheAccessTokenOnTheOther()
    {
        var user = await NewUserAsync(_first);
        var api = new AuthClient(_second);
        // Cached on the second instance as active.
        Assert.Equal(HttpStatusCode.OK, (await api.SendAsync(HttpMethod.Get, "/api/auth/me", user.Tokens.AccessToken)).StatusCode);

        var logout = await new AuthClient(_first).SendAsync(HttpMethod.Post, "/api/auth/logout", user.Tokens.AccessToken);
        Assert.True(logout.IsSuccessStatusCode, $"logout: {(int)logout.StatusCode}");

        Assert.Equal(HttpStatusCode.Unauthorized,
            await BecomesAsync(async () => (await api.SendAsync(HttpMethod.Get, "/api/auth/me", user.Tokens.AccessToken)).StatusCode, HttpStatusCode.Unauthorized));
    }

    [Fact]
    public async Task VerifiedOnOneInstance_TheOtherSyncsAtOnce()
    {
        var email = AuthClient.NewEmail();
        var first = new AuthClient(_first);
        await first.RegisterAsync(email);
        var tokens = await first.LoginAsync(email);
        var onSecond = For(_second, tokens);
        // The second instance caches the account as unverified: sync answers 403.
        Assert.Equal(HttpStatusCode.Forbidden, (await onSecond.PushRawAsync("laptop", [Query("q", "x")])).StatusCode);

        var message = await _first.Mailbox.WaitForAsync(email, "Confirm your email");
        (await first.PostAsync("/api/auth/verify-email", new { token = Mailbox.TokenFrom(message, "/verify-email") })).EnsureSuccessStatusCode();

        Assert.Equal(HttpStatusCode.OK,
            await BecomesAsync(async () => (await onSecond.PushRawAsync("laptop", [Query("q", "x")])).StatusCode, HttpStatusCode.OK));
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
