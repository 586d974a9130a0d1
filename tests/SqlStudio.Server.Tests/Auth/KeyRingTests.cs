using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.JsonWebTokens;
using SqlStudio.Testing;

namespace SqlStudio.Server.Tests.Auth;

/// <summary>
/// One key ring for every instance (issue #13 §3): access tokens signed on one instance verify on another, a rotation
/// keeps the previous key verifying until its tokens expire (JWKS lists both), and the Data Protection keys behind
/// cookies and antiforgery are shared through the database.
/// </summary>
public sealed class KeyRingTests
{
    private static async Task<List<string>> KidsAsync(TestServer server) =>
        JsonDocument.Parse(await server.Client.GetStringAsync("/.well-known/jwks.json")).RootElement.GetProperty("keys").EnumerateArray()
            .Select(k => k.GetProperty("kid").GetString()!).ToList();

    private static async Task<HttpStatusCode> MeAsync(TestServer server, string accessToken) =>
        (await new AuthClient(server).SendAsync(HttpMethod.Get, "/api/auth/me", accessToken)).StatusCode;

    [Fact]
    public async Task Rotation_NewKeySignsEverywhere_OldTokensVerifyUntilTheyExpire_JwksListsBoth()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var first = await TestServer.StartAsync(o => o.Time = time);
        await using var second = await TestServer.StartAsync(o =>
        {
            o.Time = time;
            o.SameDatabaseAs(first);
        });
        var api = new AuthClient(first);
        var before = await api.RegisterVerifiedAsync();
        var oldKid = new JsonWebToken(before.AccessToken).Kid;
        // Signed on the first instance, good on the second: one ring.
        Assert.Equal(HttpStatusCode.OK, await MeAsync(second, before.AccessToken));
        Assert.Equal([oldKid], await KidsAsync(second));

        var output = new StringWriter();
        Assert.Equal(0, await OperatorCommands.RunAsync(["keys", "rotate", .. first.OperatorArgs], output, output));
        // The instances read the ring again within a minute.
        time.Advance(TimeSpan.FromMinutes(1));

        var after = await api.LoginAsync(before.User.Email);
        var newKid = new JsonWebToken(after.AccessToken).Kid;
        Assert.NotEqual(oldKid, newKid);
        Assert.Contains(newKid, output.ToString());
        foreach (var server in new[] { first, second })
        {
            Assert.Equal(HttpStatusCode.OK, await MeAsync(server, before.AccessToken));
            Assert.Equal(HttpStatusCode.OK, await MeAsync(server, after.AccessToken));
            Assert.Equal(new[] { oldKid, newKid }.Order(), (await KidsAsync(server)).Order());
        }

        // Once every token the old key signed has expired, it is no longer published.
        time.Advance(TimeSpan.FromMinutes(20));
        Assert.Equal([newKid], await KidsAsync(first));
    }

    [Fact]
    public async Task DataProtectionKeys_AreShared_WhatOneInstanceProtectsTheOtherReads()
    {
        await using var first = await TestServer.StartAsync();
        await using var second = await TestServer.StartAsync(o => o.SameDatabaseAs(first));

        var cookieLike = first.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector("test").Protect("session payload");

        Assert.Equal("session payload", second.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector("test").Unprotect(cookieLike));
    }
}
