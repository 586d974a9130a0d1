using System.Text.Json.Nodes;
using SqlStudio.Contracts;
using SqlStudio.Testing;

namespace SqlStudio.Sync.Tests;

public sealed class SessionTests : OwnTimedServer
{
    [Fact]
    public async Task ExpiredAccessToken_IsRefreshedTransparently()
    {
        await using var devices = await Devices.StartAsync(Server);
        var device = await devices.OpenAsync("laptop");
        var before = (await device.Auth.CurrentAsync())!.Tokens.RefreshToken;

        // The server's clock moves past the token's 15 minutes; the device does not know.
        Time.Advance(TimeSpan.FromMinutes(16));
        await device.Manager.PushChangeAsync("query_tabs", "t", new JsonObject { ["title"] = "after expiry" });
        var result = await device.Manager.SyncNowAsync();

        Assert.Equal(1, result.Pushed);
        Assert.NotEqual(before, (await device.Auth.CurrentAsync())!.Tokens.RefreshToken);
    }

    [Fact]
    public async Task ConcurrentCallers_ShareOneRefresh()
    {
        await using var devices = await Devices.StartAsync(Server);
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
        var device = await devices.OpenAsync("laptop", time: time);
        time.Advance(TimeSpan.FromMinutes(14.5));

        var tokens = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => device.Auth.AccessTokenAsync())));

        Assert.Single(tokens.Distinct());
        var sessions = await new AuthClient(Server).ReadAsync<List<SessionInfo>>(
            await new AuthClient(Server).SendAsync(HttpMethod.Get, "/api/auth/sessions", tokens[0]));
        Assert.Contains(sessions, s => s.Current);
    }

    [Fact]
    public async Task RefreshTokenReused_MovesProfileToSignedOut()
    {
        await using var devices = await Devices.StartAsync(Server);
        var device = await devices.OpenAsync("laptop");
        var stolen = (await device.Auth.CurrentAsync())!.Tokens.RefreshToken;
        // Someone else spends the device's refresh token; the device learns it on its next refresh.
        (await new AuthClient(Server).PostAsync("/api/auth/refresh", new { refresh_token = stolen })).EnsureSuccessStatusCode();
        Time.Advance(TimeSpan.FromSeconds(11));
        var signedOut = false;
        device.Auth.SignedOut += (_, _) => signedOut = true;

        await Assert.ThrowsAsync<SignedOutException>(() => device.Auth.AccessTokenAsync(forceRefresh: true));

        Assert.True(signedOut);
        Assert.Equal(SyncState.SignedOut, device.Manager.Status.State);
        Assert.Null(await device.Auth.CurrentAsync());
    }
}
