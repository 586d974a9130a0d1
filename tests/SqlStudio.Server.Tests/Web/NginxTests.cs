using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using SqlStudio.Contracts;
using SqlStudio.Testing;
using Xunit;
using static SqlStudio.Testing.SyncClient;

namespace SqlStudio.Server.Tests.Web;

/// <summary>The shipped deploy/nginx/sqlstudio.conf in front of the server: events stream through unbuffered, long-poll answers.</summary>
public sealed class NginxTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task ShippedConfig_StreamsEventsAsTheyHappen_AndLongPollAnswers()
    {
        await using var nginx = await NginxServer.StartAsync(fixture.Server.BaseAddress);
        var user = await NewUserAsync(fixture.Server);

        await using var stream = await EventStream.OpenAsync(nginx.Address, user.Tokens.AccessToken);
        Assert.Equal("ready", (await stream.NextEventAsync())!.Event);
        var pushed = await user.PushAsync("laptop", Upsert("saved_queries", "q", 0, "2026-11-20T10:00:00Z",
            new JsonObject { ["title"] = "through nginx", ["sql"] = "select 1" }));
        // A buffering proxy would hold this event back until its buffer filled: it arrives on its own.
        var changes = await stream.NextEventAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("changes", changes!.Event);
        Assert.Equal(pushed.Cursor, changes.Cursor);

        using var http = new HttpClient { BaseAddress = nginx.Address };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", user.Tokens.AccessToken);
        var poll = http.GetFromJsonAsync<HeadResponse>($"/api/sync/head?after={pushed.Cursor}&wait=20", AuthClient.Json);
        var second = await user.PushAsync("laptop", Upsert("saved_queries", "q2", 0, "2026-11-20T10:00:00Z",
            new JsonObject { ["title"] = "second", ["sql"] = "select 2" }));
        Assert.Equal(second.Cursor, (await poll)!.Cursor);
    }
}
