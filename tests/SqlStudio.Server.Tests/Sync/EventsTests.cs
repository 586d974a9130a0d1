using Microsoft.Extensions.DependencyInjection;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using SqlStudio.Contracts;
using SqlStudio.Testing;
using Xunit;
using static SqlStudio.Testing.SyncClient;

namespace SqlStudio.Server.Tests.Sync;

/// <summary>The event stream and long-poll contract (docs/sync.md: GET /api/sync/events, head with after and wait).</summary>
public sealed class EventsTests : IAsyncLifetime
{
    private TestServer _server = null!;

    public async Task InitializeAsync() => _server = await TestServer.StartAsync(o =>
    {
        o.Settings["Sync:Events:HeartbeatInterval"] = "00:00:00.300";
        o.Settings["Sync:Events:MaxStreamsPerUser"] = "2";
    });

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private static JsonObject Query(string id, string title, long baseVersion = 0) =>
        Upsert("saved_queries", id, baseVersion, "2026-11-20T10:00:00Z", new JsonObject { ["title"] = title, ["sql"] = "select 1" });

    [Fact]
    public async Task Events_ReadyThenChangesAfterPush_WithStreamingHeaders()
    {
        var user = await NewUserAsync(_server);
        await user.PushAsync("laptop", Query("q1", "first"));
        await using var stream = await EventStream.OpenAsync(_server, user.Tokens.AccessToken);

        Assert.Equal("text/event-stream", stream.Response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("no-cache", stream.Response.Headers.CacheControl?.ToString());
        Assert.Equal("no", stream.Response.Headers.GetValues("X-Accel-Buffering").Single());
        Assert.Empty(stream.Response.Content.Headers.ContentEncoding);
        var ready = await stream.NextEventAsync();
        Assert.Equal("ready", ready!.Event);
        Assert.Equal(1, ready.Cursor);

        var pushed = await user.PushAsync("desktop", Query("q2", "second"));
        var changes = await stream.NextEventAsync();
        Assert.Equal("changes", changes!.Event);
        Assert.Equal(pushed.Cursor, changes.Cursor);
        Assert.Equal("desktop", changes.Json["device_id"]!.GetValue<string>());
        Assert.Equal(pushed.Cursor.ToString(), changes.Id);
    }

    [Fact]
    public async Task Events_EveryKindOfCommit_AnnouncesTheNewCursor()
    {
        var user = await NewUserAsync(_server);
        await using var stream = await EventStream.OpenAsync(_server, user.Tokens.AccessToken);
        Assert.Equal("ready", (await stream.NextEventAsync())!.Event);

        // A conflict, then its resolution.
        await user.PushAsync("a", Query("q", "v1"));
        await user.PushAsync("a", Query("q", "from a", baseVersion: 1));
        var lost = await user.PushAsync("b", Upsert("saved_queries", "q", 1, "2026-11-20T09:00:00Z", new JsonObject { ["title"] = "from b" }));
        var afterPushes = lost.Cursor;
        Assert.True((await stream.NextEventAsync())!.Cursor <= afterPushes);
        while ((await stream.NextEventAsync())!.Cursor < afterPushes)
        {
        }
        var resolved = await user.Http.PostAsJsonAsync($"/api/sync/conflicts/{lost.Results[0].ConflictId}/resolve", new { choice = "local" });
        resolved.EnsureSuccessStatusCode();
        Assert.True((await stream.NextEventAsync())!.Cursor > afterPushes);

        // An import, then its undo.
        var import = await user.Http.PostAsJsonAsync("/api/sync/import", new
        {
            import_id = "imp-1", on_duplicate = "skip",
            records = new Dictionary<string, object[]> { ["saved_queries"] = [new { id = "imported", title = "t", sql = "select 2" }] },
        });
        import.EnsureSuccessStatusCode();
        var afterImport = (await stream.NextEventAsync())!.Cursor;
        Assert.True(afterImport > afterPushes);
        (await user.Http.DeleteAsync("/api/sync/import/imp-1")).EnsureSuccessStatusCode();
        Assert.True((await stream.NextEventAsync())!.Cursor > afterImport);
    }

    /// <summary>Issue #22 §2: a resolution made on the web page (through the same service) reaches devices at once.</summary>
    [Fact]
    public async Task Events_ResolutionOnTheWebPage_IsAnnouncedAtOnce()
    {
        var user = await NewUserAsync(_server);
        await user.PushAsync("a", Query("q", "v1"));
        await user.PushAsync("a", Query("q", "from a", baseVersion: 1));
        var lost = await user.PushAsync("b", Upsert("saved_queries", "q", 1, "2026-11-20T09:00:00Z", new JsonObject { ["title"] = "from b" }));
        await using var stream = await EventStream.OpenAsync(_server, user.Tokens.AccessToken);
        Assert.Equal("ready", (await stream.NextEventAsync())!.Event);

        // What /account/sync's "Keep" button does.
        var conflicts = _server.Services.GetRequiredService<SqlStudio.Server.Sync.ConflictService>();
        var resolved = await conflicts.ResolveAsync(user.Tokens.User.UserId, lost.Results[0].ConflictId!,
            new ResolveRequest("remote", DeviceId: SqlStudio.Server.Sync.SyncSettings.WebDevice));
        var announced = await stream.NextEventAsync(TimeSpan.FromSeconds(10));

        Assert.NotNull(resolved.Value);
        Assert.Equal("changes", announced!.Event);
        Assert.Equal(resolved.Value!["server_seq"]!.GetValue<long>(), announced.Cursor);
    }

    [Fact]
    public async Task Events_IdleStream_SendsHeartbeats_AndOtherUsersCommitsNeverArrive()
    {
        var alice = await NewUserAsync(_server);
        var bob = await NewUserAsync(_server);
        await using var stream = await EventStream.OpenAsync(_server, bob.Tokens.AccessToken);
        Assert.Equal("ready", (await stream.NextEventAsync())!.Event);

        await alice.PushAsync("a", Query("secret", "alice's"));
        await alice.PushAsync("a", Query("secret2", "alice's"));

        // Bob's stream carries heartbeats only: the next three messages are comments.
        for (var i = 0; i < 3; i++)
        {
            var next = await stream.NextAsync();
            Assert.Equal("ping", next!.Comment);
        }
    }

    [Fact]
    public async Task Events_PastTheCap_429TooManyStreams()
    {
        var user = await NewUserAsync(_server);
        await using var first = await EventStream.OpenAsync(_server, user.Tokens.AccessToken);
        await using var second = await EventStream.OpenAsync(_server, user.Tokens.AccessToken);
        await first.NextEventAsync();
        await second.NextEventAsync();

        using var third = await EventStream.OpenRawAsync(_server.CreateClient(), user.Tokens.AccessToken, acceptCompression: false);

        Assert.Equal(HttpStatusCode.TooManyRequests, third.StatusCode);
        var problem = await third.Content.ReadFromJsonAsync<JsonObject>();
        Assert.Equal("too_many_streams", problem!["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task Events_SessionRevoked_StreamEnds()
    {
        var user = await NewUserAsync(_server);
        await using var stream = await EventStream.OpenAsync(_server, user.Tokens.AccessToken);
        Assert.Equal("ready", (await stream.NextEventAsync())!.Event);

        var logout = await new AuthClient(_server).SendAsync(HttpMethod.Post, "/api/auth/logout", user.Tokens.AccessToken);
        Assert.Equal(HttpStatusCode.NoContent, logout.StatusCode);

        var end = await stream.NextEventAsync();
        Assert.Equal("end", end!.Event);
        Assert.Equal("session_ended", end.Json["reason"]!.GetValue<string>());
        Assert.Null(await stream.NextEventAsync());
    }

    [Fact]
    public async Task Events_WithoutToken_401()
    {
        using var response = await _server.Client.GetAsync("/api/sync/events");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task HeadLongPoll_AnswersWhenTheCursorPassesAfter()
    {
        var user = await NewUserAsync(_server);
        var first = await user.PushAsync("a", Query("q", "one"));
        var poll = user.Http.GetFromJsonAsync<HeadResponse>($"/api/sync/head?after={first.Cursor}&wait=20", AuthClient.Json);
        // The poll is waiting; a commit from another device answers it.
        await Task.Yield();
        var second = await user.PushAsync("b", Query("q2", "two"));

        var head = await poll;
        Assert.Equal(second.Cursor, head!.Cursor);
        Assert.Equal(2, head.Counts["saved_queries"]);
    }

    [Fact]
    public async Task HeadLongPoll_CursorAlreadyAhead_AnswersAtOnce_BadWait400()
    {
        var user = await NewUserAsync(_server);
        var pushed = await user.PushAsync("a", Query("q", "one"));

        var head = await user.Http.GetFromJsonAsync<HeadResponse>("/api/sync/head?after=0&wait=20", AuthClient.Json);
        Assert.Equal(pushed.Cursor, head!.Cursor);

        var tooLong = await user.Http.GetAsync("/api/sync/head?after=0&wait=100000");
        Assert.Equal(HttpStatusCode.BadRequest, tooLong.StatusCode);
        var negative = await user.Http.GetAsync("/api/sync/head?after=-1&wait=1");
        Assert.Equal(HttpStatusCode.BadRequest, negative.StatusCode);
        var expired = await user.Http.GetFromJsonAsync<HeadResponse>($"/api/sync/head?after={pushed.Cursor}&wait=0", AuthClient.Json);
        Assert.Equal(pushed.Cursor, expired!.Cursor);
    }
}
