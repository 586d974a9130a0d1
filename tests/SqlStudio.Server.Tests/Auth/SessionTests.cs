using System.Net;
using SqlStudio.Contracts;
using SqlStudio.Testing;

namespace SqlStudio.Server.Tests.Auth;

public sealed class SessionTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private readonly AuthClient _client = new(fixture.Server);

    [Fact]
    public async Task Sessions_List_ShowsEachLoginWithCurrentFlag()
    {
        var email = AuthClient.NewEmail();
        var laptop = await _client.RegisterVerifiedAsync(email);
        var desktop = await _client.LoginAsync(email, deviceName: "Desktop");

        var sessions = await _client.ReadAsync<List<SessionInfo>>(await _client.SendAsync(HttpMethod.Get, "/api/auth/sessions", desktop.AccessToken));

        Assert.Equal(2, sessions.Count);
        Assert.True(sessions.Single(s => s.SessionId == desktop.SessionId).Current);
        Assert.False(sessions.Single(s => s.SessionId == laptop.SessionId).Current);
        Assert.Equal("Desktop", sessions.Single(s => s.Current).DeviceName);
        Assert.Equal("127.0.0.1", sessions[0].Ip);
    }

    [Fact]
    public async Task Sessions_RevokeOther_StopsItsAccessTokenAtOnce()
    {
        var email = AuthClient.NewEmail();
        var phone = await _client.RegisterVerifiedAsync(email);
        var laptop = await _client.LoginAsync(email);
        Assert.Equal(HttpStatusCode.OK, (await MeAsync(phone.AccessToken)).StatusCode);

        var revoke = await _client.SendAsync(HttpMethod.Delete, $"/api/auth/sessions/{phone.SessionId}", laptop.AccessToken);

        Assert.Equal(HttpStatusCode.NoContent, revoke.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await MeAsync(phone.AccessToken)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await MeAsync(laptop.AccessToken)).StatusCode);
        var refresh = await _client.PostAsync("/api/auth/refresh", new { refresh_token = phone.RefreshToken });
        Assert.Equal(HttpStatusCode.Unauthorized, refresh.StatusCode);
    }

    [Fact]
    public async Task Sessions_RevokeAnotherUsersSession_Returns404AndLeavesItAlone()
    {
        var victim = await _client.RegisterVerifiedAsync();
        var attacker = await _client.RegisterVerifiedAsync();

        var response = await _client.SendAsync(HttpMethod.Delete, $"/api/auth/sessions/{victim.SessionId}", attacker.AccessToken);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("not_found", (await AuthClient.ProblemAsync(response)).GetProperty("code").GetString());
        Assert.Equal(HttpStatusCode.OK, (await MeAsync(victim.AccessToken)).StatusCode);
    }

    [Fact]
    public async Task Logout_StopsAccessTokenAtOnceAndRefresh()
    {
        var tokens = await _client.RegisterVerifiedAsync();

        var logout = await _client.SendAsync(HttpMethod.Post, "/api/auth/logout", tokens.AccessToken);

        Assert.Equal(HttpStatusCode.NoContent, logout.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await MeAsync(tokens.AccessToken)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await _client.PostAsync("/api/auth/refresh", new { refresh_token = tokens.RefreshToken })).StatusCode);
    }

    [Fact]
    public async Task LogoutAll_StopsEverySession()
    {
        var email = AuthClient.NewEmail();
        var one = await _client.RegisterVerifiedAsync(email);
        var two = await _client.LoginAsync(email);

        var response = await _client.SendAsync(HttpMethod.Post, "/api/auth/logout-all", two.AccessToken);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await MeAsync(one.AccessToken)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await MeAsync(two.AccessToken)).StatusCode);
    }

    [Theory]
    [InlineData("POST", "/api/auth/logout")]
    [InlineData("POST", "/api/auth/logout-all")]
    [InlineData("GET", "/api/auth/sessions")]
    [InlineData("DELETE", "/api/auth/sessions/x")]
    [InlineData("POST", "/api/auth/change-password")]
    [InlineData("GET", "/api/auth/me")]
    public async Task SignedInEndpoints_WithoutToken_Return401Problem(string method, string path)
    {
        var response = await _client.SendAsync(new HttpMethod(method), path, accessToken: null);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Me_ReturnsProfile()
    {
        var email = AuthClient.NewEmail();
        var tokens = await _client.RegisterVerifiedAsync(email);

        var me = await _client.ReadAsync<MeResponse>(await MeAsync(tokens.AccessToken));

        Assert.Equal(email, me.Email);
        Assert.Equal("Test User", me.Name);
        Assert.True(me.EmailVerified);
        Assert.Equal(Tiers.Individual, me.Tier);
        Assert.EndsWith("Z", me.CreatedAt);
    }

    private Task<HttpResponseMessage> MeAsync(string token) => _client.SendAsync(HttpMethod.Get, "/api/auth/me", token);
}
