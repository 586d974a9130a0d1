using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using SqlStudio.Contracts;
using SqlStudio.Server.Sync;
using SqlStudio.Testing;
using static SqlStudio.Testing.SyncClient;

namespace SqlStudio.Server.Tests.Sync;

public sealed class PullTests : OwnTimedServer
{
    private string Now => SqlStudio.Server.Data.StoredTime.Format(Time.GetUtcNow());

    [Fact]
    public async Task Changes_PagesInCursorOrderAcrossTypes()
    {
        var user = await NewUserAsync(Server);
        await user.PushAsync("a",
            Upsert("connections", "c1", 0, Now, new JsonObject { ["name"] = "db", ["driver"] = "pg" }),
            Upsert("query_tabs", "t1", 0, Now, new JsonObject { ["title"] = "one" }),
            Upsert("saved_queries", "q1", 0, Now, new JsonObject { ["title"] = "q", ["sql"] = "select 1" }),
            Upsert("ui_preferences", "theme", 0, Now, new JsonObject { ["key"] = "theme", ["value"] = "dark" }),
            Upsert("query_tabs", "t2", 0, Now, new JsonObject { ["title"] = "two" }));

        var first = await user.ChangesAsync(0, limit: 2);
        var second = await user.ChangesAsync(first.NextCursor, limit: 2);
        var third = await user.ChangesAsync(second.NextCursor, limit: 2);

        Assert.Equal(2, first.NextCursor);
        Assert.True(first.HasMore);
        Assert.Equal(["connections", "query_tabs"], first.Changes.Keys.Order());
        Assert.Equal(4, second.NextCursor);
        Assert.True(second.HasMore);
        Assert.Equal("dark", second.Changes["ui_preferences"][0]["value"]!.GetValue<string>());
        Assert.Equal(5, third.NextCursor);
        Assert.False(third.HasMore);
        Assert.Equal("t2", Assert.Single(third.Changes["query_tabs"])["id"]!.GetValue<string>());
        var all = new[] { first, second, third }.SelectMany(p => p.Changes.Values.SelectMany(l => l)).Select(r => r["server_seq"]!.GetValue<long>());
        Assert.Equal([1, 2, 3, 4, 5], all.Order());
    }

    [Fact]
    public async Task Changes_StableWhileAnotherDevicePushes_NoSkipNoRepeat()
    {
        var user = await NewUserAsync(Server);
        for (var i = 0; i < 10; i++)
        {
            await user.PushAsync("a", Upsert("query_tabs", $"t{i}", 0, Now, new JsonObject { ["title"] = $"t{i}" }));
        }
        var seen = new List<(string Id, long Version)>();
        var page = await user.ChangesAsync(0, limit: 3);
        seen.AddRange(page.Changes["query_tabs"].Select(r => (r["id"]!.GetValue<string>(), r["version"]!.GetValue<long>())));

        // Between pages, another device edits a record already pulled and one not yet pulled, and adds one.
        await user.PushAsync("b",
            Upsert("query_tabs", "t0", 1, Now, new JsonObject { ["title"] = "t0 edited" }),
            Upsert("query_tabs", "t8", 1, Now, new JsonObject { ["title"] = "t8 edited" }),
            Upsert("query_tabs", "t10", 0, Now, new JsonObject { ["title"] = "new" }));
        var cursor = page.NextCursor;
        while (page.HasMore)
        {
            page = await user.ChangesAsync(cursor, limit: 3);
            seen.AddRange(page.Changes.GetValueOrDefault("query_tabs", []).Select(r => (r["id"]!.GetValue<string>(), r["version"]!.GetValue<long>())));
            cursor = page.NextCursor;
        }

        Assert.Equal(seen.Count, seen.Distinct().Count());
        var latest = seen.GroupBy(s => s.Id).ToDictionary(g => g.Key, g => g.Max(s => s.Version));
        Assert.Equal(11, latest.Count);
        Assert.Equal(2, latest["t0"]);
        Assert.Equal(2, latest["t8"]);
    }

    [Fact]
    public async Task Changes_TypesFilter_ReturnsOnlyThose()
    {
        var user = await NewUserAsync(Server);
        await user.PushAsync("a",
            Upsert("query_tabs", "t", 0, Now, new JsonObject { ["title"] = "x" }),
            Upsert("ai_sessions", "s", 0, Now, new JsonObject { ["title"] = "chat" }));

        var page = await user.ChangesAsync(0, types: "ai_sessions");

        Assert.Equal(["ai_sessions"], page.Changes.Keys);
    }

    [Theory]
    [InlineData("limit=0")]
    [InlineData("limit=1001")]
    [InlineData("cursor=-1")]
    [InlineData("types=widgets")]
    public async Task Changes_BadQuery_Returns400(string query)
    {
        var user = await NewUserAsync(Server);

        var response = await user.Http.GetAsync($"/api/sync/changes?{query}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("validation_failed", (await AuthClient.ProblemAsync(response)).GetProperty("code").GetString());
    }

    [Fact]
    public async Task Changes_CursorOlderThanPurgedTombstones_Returns410()
    {
        var user = await NewUserAsync(Server);
        await user.PushAsync("a", Upsert("query_tabs", "t", 0, Now, new JsonObject { ["title"] = "x" }));
        var staleCursor = (await user.ChangesAsync()).NextCursor;
        await user.PushAsync("a", Upsert("query_tabs", "t2", 0, Now, new JsonObject { ["title"] = "y" }));
        await user.PushAsync("a", Delete("query_tabs", "t", 1, Now));

        // The purger's timer fires as the clock moves; calling it again is harmless (idempotent).
        Time.Advance(TimeSpan.FromDays(91));
        await Server.Services.GetRequiredService<TombstonePurger>().PurgeAsync();
        user = For(Server, await new AuthClient(Server).LoginAsync(user.Tokens.User.Email));
        var stale = await user.Http.GetAsync($"/api/sync/changes?cursor={staleCursor}");
        var fresh = await user.ChangesAsync(0);

        Assert.Equal(HttpStatusCode.Gone, stale.StatusCode);
        Assert.Equal("resync_required", (await AuthClient.ProblemAsync(stale)).GetProperty("code").GetString());
        Assert.Equal(["t2"], fresh.Changes["query_tabs"].Select(r => r["id"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Changes_CursorAheadOfTheServer_AfterARestore_Returns410()
    {
        var user = await NewUserAsync(Server);
        await user.PushAsync("a", Upsert("query_tabs", "t", 0, Now, new JsonObject { ["title"] = "x" }));
        var head = (await user.ChangesAsync()).NextCursor;

        // A device that synced before the database was restored to an earlier point holds a cursor the server never reached.
        var current = await user.Http.GetAsync($"/api/sync/changes?cursor={head}");
        var ahead = await user.Http.GetAsync($"/api/sync/changes?cursor={head + 3}");

        Assert.Equal(HttpStatusCode.OK, current.StatusCode);
        Assert.Equal(HttpStatusCode.Gone, ahead.StatusCode);
        Assert.Equal("resync_required", (await AuthClient.ProblemAsync(ahead)).GetProperty("code").GetString());
    }

    [Fact]
    public async Task Head_ReportsCursorAndLiveCounts()
    {
        var user = await NewUserAsync(Server);
        await user.PushAsync("a",
            Upsert("query_tabs", "t1", 0, Now, new JsonObject { ["title"] = "x" }),
            Upsert("query_tabs", "t2", 0, Now, new JsonObject { ["title"] = "y" }));
        await user.PushAsync("a", Delete("query_tabs", "t2", 1, Now));

        var head = await user.GetAsync<HeadResponse>("/api/sync/head");

        Assert.Equal(3, head.Cursor);
        Assert.Equal(1, head.Counts["query_tabs"]);
        Assert.Equal(7, head.Counts.Count);
    }

    [Fact]
    public async Task Changes_AcceptEncodingBrotli_CompressesResponse()
    {
        var user = await NewUserAsync(Server);
        await user.PushAsync("a", Enumerable.Range(0, 50).Select(i =>
            Upsert("saved_queries", $"q{i}", 0, Now, new JsonObject { ["title"] = $"Query {i}", ["sql"] = $"SELECT * FROM orders WHERE id = {i}" })).ToArray());
        using var raw = new HttpClient(new HttpClientHandler { AutomaticDecompression = DecompressionMethods.None }) { BaseAddress = Server.BaseAddress };
        raw.DefaultRequestHeaders.Authorization = user.Http.DefaultRequestHeaders.Authorization;

        var plain = await raw.GetByteArrayAsync("/api/sync/changes");
        var request = new HttpRequestMessage(HttpMethod.Get, "/api/sync/changes");
        request.Headers.AcceptEncoding.ParseAdd("br");
        var compressed = await raw.SendAsync(request);
        var bytes = await compressed.Content.ReadAsByteArrayAsync();

        Assert.Equal("br", compressed.Content.Headers.ContentEncoding.Single());
        Assert.True(bytes.Length < plain.Length * 0.4, $"{bytes.Length} vs {plain.Length}");
        using var brotli = new BrotliStream(new MemoryStream(bytes), CompressionMode.Decompress);
        using var reader = new StreamReader(brotli);
        Assert.Equal(Encoding.UTF8.GetString(plain), await reader.ReadToEndAsync());
    }

    [Fact]
    public async Task Push_GzipBody_IsAccepted()
    {
        var user = await NewUserAsync(Server);
        var json = new JsonObject
        {
            ["device_id"] = "a",
            ["mutations"] = new JsonArray(Upsert("query_tabs", "gz", 0, Now, new JsonObject { ["title"] = "zipped" })),
        }.ToJsonString();
        var body = new MemoryStream();
        await using (var gzip = new GZipStream(body, CompressionLevel.Fastest, leaveOpen: true))
        {
            await gzip.WriteAsync(Encoding.UTF8.GetBytes(json));
        }
        var content = new ByteArrayContent(body.ToArray());
        content.Headers.ContentType = new("application/json");
        content.Headers.ContentEncoding.Add("gzip");

        var response = await user.Http.PostAsync("/api/sync/push", content);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(MutationStatus.Applied, (await response.Content.ReadFromJsonAsync<PushResponse>(AuthClient.Json))!.Results[0].Status);
    }

    [Fact]
    public async Task Devices_RegisterListAndActivity()
    {
        var user = await NewUserAsync(Server);

        var registered = await user.Http.PostAsJsonAsync("/api/sync/devices", new { device_id = "desk-1", name = "Desk", platform = "linux", app_version = "2.1.0" });
        await user.PushAsync("desk-1", Upsert("query_tabs", "t", 0, Now, new JsonObject { ["title"] = "x" }));
        await user.ChangesAsync(0, deviceId: "desk-1");
        var devices = await user.GetAsync<List<DeviceInfo>>("/api/sync/devices");
        var activity = await user.GetAsync<List<ActivityInfo>>("/api/sync/activity");
        var invalid = await user.Http.PostAsJsonAsync("/api/sync/devices", new { device_id = "", name = "" });

        Assert.Equal(HttpStatusCode.OK, registered.StatusCode);
        var device = Assert.Single(devices);
        Assert.Equal("Desk", device.Name);
        Assert.Equal("linux", device.Platform);
        Assert.Equal(1, device.LastCursor);
        Assert.NotNull(device.LastSyncAt);
        Assert.Contains(activity, a => a.Kind == "push" && a.DeviceId == "desk-1" && a.Records == 1);
        Assert.Contains(activity, a => a.Kind == "pull" && a.Records == 1);
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
    }

    [Fact]
    public async Task ClientThatHungUp_ItsPullAndHeadStopBeforeTheDatabase()
    {
        await using var server = await TestServer.StartAsync();
        var user = await SyncClient.NewUserAsync(server);
        var pull = server.Services.GetRequiredService<PullService>();
        var hungUp = new CancellationToken(canceled: true);
        var trips = SqlStudio.Server.Data.DbRoundTrips.Begin();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pull.ChangesAsync(user.Tokens.User.UserId, 0, null, null, "laptop", hungUp));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pull.HeadAsync(user.Tokens.User.UserId, hungUp));

        Assert.Equal(0, trips.Count);
        Assert.Equal(0, (await pull.HeadAsync(user.Tokens.User.UserId)).Cursor);
    }
}
