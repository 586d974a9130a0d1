using System.Net;
using System.Net.Http.Json;
using SqlStudio.Contracts;
using SqlStudio.Testing;

namespace SqlStudio.Server.Tests.Auth;

/// <summary>Sessions per account are capped (the least recently used ends) and listed a page at a time (issue #13 §4).</summary>
public sealed class SessionCapTests
{
    [Fact]
    public async Task PastTheCap_TheLeastRecentlyUsedSessionEnds_TheListIsPaged()
    {
        await using var server = await TestServer.StartAsync(o => o.Settings["Auth:MaxSessionsPerUser"] = "5");
        var client = new AuthClient(server);
        var first = await client.RegisterVerifiedAsync();
        var later = new List<TokenResponse>();
        for (var i = 0; i < 6; i++)
        {
            later.Add(await client.LoginAsync(first.User.Email));
        }

        // Seven logins, five kept: the first two (least recently used) ended.
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.SendAsync(HttpMethod.Get, "/api/auth/me", first.AccessToken)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.SendAsync(HttpMethod.Get, "/api/auth/me", later[0].AccessToken)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(HttpMethod.Get, "/api/auth/me", later[^1].AccessToken)).StatusCode);

        var all = await client.SendAsync(HttpMethod.Get, "/api/auth/sessions", later[^1].AccessToken);
        Assert.Equal("5", all.Headers.GetValues("X-Total-Count").Single());
        Assert.Equal(5, (await all.Content.ReadFromJsonAsync<List<SessionInfo>>(AuthClient.Json))!.Count);
        var page = await client.SendAsync(HttpMethod.Get, "/api/auth/sessions?limit=2&offset=4", later[^1].AccessToken);
        Assert.Single((await page.Content.ReadFromJsonAsync<List<SessionInfo>>(AuthClient.Json))!);
        var bad = await client.SendAsync(HttpMethod.Get, "/api/auth/sessions?limit=0", later[^1].AccessToken);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal("validation_failed", (await AuthClient.ProblemAsync(bad)).GetProperty("code").GetString());
    }
}
