using System.Net;
using SqlStudio.Testing;

namespace SqlStudio.Server.Tests.Auth;

/// <summary>
/// Two instances joined by a real redis-server count against the same limits (issue #13 §3): N instances do not
/// multiply a limit, and a CAPTCHA solution spent on one is spent on all.
/// </summary>
public sealed class SharedLimitsTests : IAsyncLifetime
{
    private RedisServer _redis = null!;
    private TestServer _first = null!;
    private TestServer _second = null!;

    public async Task InitializeAsync()
    {
        _redis = await RedisServer.StartAsync();
        void Configure(TestServerOptions o)
        {
            o.Settings["Notifications:Redis"] = _redis.ConnectionString;
            o.Settings["RateLimits:Login:PermitLimit"] = "10";
            o.Settings["Captcha:Provider"] = "altcha";
            o.Settings["Captcha:Altcha:CounterMin"] = "50";
            o.Settings["Captcha:Altcha:CounterMax"] = "500";
        }
        _first = await TestServer.StartAsync(Configure);
        _second = await TestServer.StartAsync(o =>
        {
            Configure(o);
            o.SameDatabaseAs(_first);
        });
    }

    public async Task DisposeAsync()
    {
        await _second.DisposeAsync();
        await _first.DisposeAsync();
        await _redis.DisposeAsync();
    }

    [Fact]
    public async Task TwelveFailedLogins_OverTwoInstances_MeetTheTenAMinuteLimit()
    {
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 12; i++)
        {
            var client = new AuthClient(i % 2 == 0 ? _first : _second);
            statuses.Add((await client.PostAsync("/api/auth/login", new { email = AuthClient.NewEmail(), password = "Wrong-password-1" })).StatusCode);
        }

        Assert.Equal(10, statuses.Count(s => s == HttpStatusCode.Unauthorized));
        Assert.Equal([HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests], statuses.Skip(10));
    }

    [Fact]
    public async Task CaptchaSolution_SpentOnOneInstance_IsRefusedOnTheOther()
    {
        var challenge = System.Text.Json.Nodes.JsonNode.Parse(await _first.Client.GetStringAsync("/api/auth/captcha"))!.AsObject();
        var payload = AltchaCaptchaTests.Solve(challenge);
        object Body() => new { email = AuthClient.NewEmail(), password = AuthClient.Password, name = "Robot?", captcha = payload };

        var first = await new AuthClient(_first).PostAsync("/api/auth/register", Body());
        var replay = await new AuthClient(_second).PostAsync("/api/auth/register", Body());

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, replay.StatusCode);
        Assert.Equal("captcha_failed", (await AuthClient.ProblemAsync(replay)).GetProperty("code").GetString());
    }
}
