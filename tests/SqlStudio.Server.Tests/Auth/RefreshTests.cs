using System.Net;
using SqlStudio.Contracts;
using SqlStudio.Testing;

namespace SqlStudio.Server.Tests.Auth;

public sealed class RefreshTests : OwnTimedServer
{
    private AuthClient? _client;

    private AuthClient Client => _client ??= new(Server);

    [Fact]
    public async Task Refresh_Rotates_NewPairAndOldTokenSpent()
    {
        var first = await Client.RegisterVerifiedAsync();

        var second = await RefreshAsync(first.RefreshToken);

        Assert.NotEqual(first.RefreshToken, second.RefreshToken);
        Assert.NotEqual(first.AccessToken, second.AccessToken);
        Assert.Equal(first.SessionId, second.SessionId);
        Assert.Equal(HttpStatusCode.OK, (await Client.SendAsync(HttpMethod.Get, "/api/auth/me", second.AccessToken)).StatusCode);
        var third = await RefreshAsync(second.RefreshToken);
        Assert.NotEqual(second.RefreshToken, third.RefreshToken);
    }

    [Fact]
    public async Task Refresh_TwoConcurrentWithinGrace_YieldOnePair()
    {
        var tokens = await Client.RegisterVerifiedAsync();

        var responses = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ =>
            Client.PostAsync("/api/auth/refresh", new { refresh_token = tokens.RefreshToken })));
        var pairs = await Task.WhenAll(responses.Select(r => Client.ReadAsync<TokenResponse>(r)));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Single(pairs.Select(p => p.RefreshToken).Distinct());
        Assert.Single(pairs.Select(p => p.AccessToken).Distinct());
    }

    [Fact]
    public async Task Refresh_ReuseAfterGrace_RevokesSessionAndItsNewestTokens()
    {
        var email = AuthClient.NewEmail();
        var tokens = await Client.RegisterVerifiedAsync(email);
        var rotated = await RefreshAsync(tokens.RefreshToken);

        Time.Advance(TimeSpan.FromSeconds(11));
        var replay = await Client.PostAsync("/api/auth/refresh", new { refresh_token = tokens.RefreshToken });

        Assert.Equal(HttpStatusCode.Unauthorized, replay.StatusCode);
        Assert.Equal("token_reused", (await AuthClient.ProblemAsync(replay)).GetProperty("code").GetString());
        Assert.Equal(HttpStatusCode.Unauthorized, (await Client.SendAsync(HttpMethod.Get, "/api/auth/me", rotated.AccessToken)).StatusCode);
        var newest = await Client.PostAsync("/api/auth/refresh", new { refresh_token = rotated.RefreshToken });
        Assert.Equal(HttpStatusCode.Unauthorized, newest.StatusCode);
        Assert.Equal("token_invalid", (await AuthClient.ProblemAsync(newest)).GetProperty("code").GetString());
        var mail = await Server.Mailbox.WaitForAsync(email, "signed out a session");
        Assert.Contains("used twice", mail.TextBody);
    }

    [Fact]
    public async Task Refresh_AfterSlidingLifetime_IsInvalid()
    {
        var tokens = await Client.RegisterVerifiedAsync();

        Time.Advance(TimeSpan.FromDays(7) + TimeSpan.FromMinutes(1));
        var response = await Client.PostAsync("/api/auth/refresh", new { refresh_token = tokens.RefreshToken });

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("token_invalid", (await AuthClient.ProblemAsync(response)).GetProperty("code").GetString());
    }

    [Fact]
    public async Task Refresh_Sliding_NeverPassesAbsoluteLifetime()
    {
        var tokens = await Client.RegisterVerifiedAsync(rememberMe: true);
        var current = tokens;
        for (var i = 0; i < 3; i++)
        {
            Time.Advance(TimeSpan.FromDays(25));
            current = await RefreshAsync(current.RefreshToken);
        }

        // 75 days in, remember-me would slide 30 more days, but the session ends at day 90.
        Assert.Equal(TimeSpan.FromDays(15).TotalSeconds, current.RefreshExpiresIn, tolerance: 5);
        Time.Advance(TimeSpan.FromDays(15) + TimeSpan.FromMinutes(1));
        var late = await Client.PostAsync("/api/auth/refresh", new { refresh_token = current.RefreshToken });
        Assert.Equal(HttpStatusCode.Unauthorized, late.StatusCode);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not-a-token")]
    public async Task Refresh_Unknown_Returns401TokenInvalid(string token)
    {
        var response = await Client.PostAsync("/api/auth/refresh", new { refresh_token = token });

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("token_invalid", (await AuthClient.ProblemAsync(response)).GetProperty("code").GetString());
    }

    private async Task<TokenResponse> RefreshAsync(string refreshToken)
    {
        var response = await Client.PostAsync("/api/auth/refresh", new { refresh_token = refreshToken });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await Client.ReadAsync<TokenResponse>(response);
    }
}
