using SqlStudio.Testing;
using Xunit;

namespace SqlStudio.Server.Tests.Auth;

/// <summary>Answers carrying tokens are never cached (issue #13, ASVS 8.1.1).</summary>
public sealed class NoStoreTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task LoginAndRefresh_TokenResponses_CacheControlNoStore()
    {
        var api = new AuthClient(fixture.Server);
        var email = AuthClient.NewEmail();
        await api.RegisterAsync(email);

        var login = await api.PostAsync("/api/auth/login", new { email, password = AuthClient.Password });
        var tokens = await api.ReadAsync<SqlStudio.Contracts.TokenResponse>(login);
        var refresh = await api.PostAsync("/api/auth/refresh", new { refresh_token = tokens.RefreshToken });
        var exchange = await api.PostAsync("/api/auth/oauth/exchange", new { code = "unknown", code_verifier = new string('a', 43) });

        foreach (var response in new[] { login, refresh, exchange })
        {
            Assert.True(response.Headers.CacheControl?.NoStore, $"{response.RequestMessage!.RequestUri} lacks Cache-Control: no-store");
        }
        Assert.True(login.IsSuccessStatusCode && refresh.IsSuccessStatusCode);
    }
}

/// <summary>Found from outside (issue #13): an anonymous caller cannot grow the limiters with huge keys.</summary>
public sealed class LongEmailTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    [Theory]
    [InlineData("/api/auth/resend-verification")]
    [InlineData("/api/auth/forgot-password")]
    public async Task EmailOverSmtpLimit_400BeforeAnyLimiter_AtLimit_Accepted(string path)
    {
        var api = new AuthClient(fixture.Server);
        var huge = new string('a', 3 * 1024 * 1024) + "@example.com";
        var atLimit = new string('b', 254 - "@example.com".Length) + "@example.com";

        var refused = await api.PostAsync(path, new { email = huge });
        var accepted = await api.PostAsync(path, new { email = atLimit });

        Assert.Equal(System.Net.HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Equal("validation_failed", (await AuthClient.ProblemAsync(refused)).GetProperty("code").GetString());
        Assert.Equal(System.Net.HttpStatusCode.Accepted, accepted.StatusCode);
    }
}

/// <summary>Files that hold personal data are owner-only (issue #13).</summary>
public sealed class FileModeTests
{
    [Fact]
    public async Task DatabaseFileAndPickupEmails_AreOwnerOnly()
    {
        if (OperatingSystem.IsWindows() || TestServer.UseLibSql)
        {
            // Unix modes; and on the libSQL pass the data lives in sqld's folder, not ours.
            return;
        }
        await using var server = await TestServer.StartAsync();
        var email = AuthClient.NewEmail();
        await new AuthClient(server).RegisterAsync(email);
        await server.Mailbox.WaitForAsync(email, "Confirm your email");

        var owner = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        var emails = Directory.GetFiles(Path.Combine(server.DataDirectory, "mail"), "*.eml");
        Assert.NotEmpty(emails);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(owner, File.GetUnixFileMode(server.DatabasePath));
            foreach (var file in emails)
            {
                Assert.Equal(owner, File.GetUnixFileMode(file));
            }
        }
    }
}
