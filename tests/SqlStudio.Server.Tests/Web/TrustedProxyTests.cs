using System.Net;
using SqlStudio.Testing;

namespace SqlStudio.Server.Tests.Web;

/// <summary>
/// X-Forwarded-For counts only from Server:TrustedProxies (issue #13 §4): otherwise any client could choose the
/// address its rate limits are counted under.
/// </summary>
public sealed class TrustedProxyTests
{
    private static async Task<List<HttpStatusCode>> LoginsFromAsync(TestServer server, params string[] forwardedFor)
    {
        var statuses = new List<HttpStatusCode>();
        foreach (var address in forwardedFor)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/auth/login")
            {
                Content = System.Net.Http.Json.JsonContent.Create(new { email = AuthClient.NewEmail(), password = "Wrong-password-1" }),
            };
            request.Headers.Add("X-Forwarded-For", address);
            statuses.Add((await server.Client.SendAsync(request)).StatusCode);
        }
        return statuses;
    }

    private static Task<TestServer> StartAsync(string trustedProxies) => TestServer.StartAsync(o =>
    {
        o.Settings["Server:TrustForwardedHeaders"] = "true";
        o.Settings["Server:TrustedProxies"] = trustedProxies;
        o.Settings["RateLimits:Login:PermitLimit"] = "1";
    });

    [Fact]
    public async Task FromAnUntrustedAddress_XForwardedForIsIgnored_TheLimitHolds()
    {
        await using var server = await StartAsync("10.1.2.3, 192.168.0.0/16");

        var statuses = await LoginsFromAsync(server, "203.0.113.1", "203.0.113.2");

        Assert.Equal([HttpStatusCode.Unauthorized, HttpStatusCode.TooManyRequests], statuses);
    }

    [Fact]
    public async Task FromATrustedProxy_EachClientHasItsOwnLimit()
    {
        await using var server = await StartAsync("127.0.0.0/8, ::1");

        var statuses = await LoginsFromAsync(server, "203.0.113.1", "203.0.113.2", "203.0.113.1");

        Assert.Equal([HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.TooManyRequests], statuses);
    }

    [Fact]
    public async Task ABadEntry_StopsStartUp_NamingTheKey()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => StartAsync("10.0.0.0/8, not-an-address"));
        Assert.Contains("Server:TrustedProxies", error.Message);
    }
}
