using System.Net;
using SqlStudio.Contracts;
using SqlStudio.Testing;

namespace SqlStudio.Server.Tests.Auth;

/// <summary>Each limit trips at its configured count and answers 429 with Retry-After.</summary>
public sealed class RateLimitTests
{
    [Fact]
    public async Task Register_PerIp_TripsAtLimit()
    {
        await using var server = await StartAsync("Register", 2);
        var client = new AuthClient(server);

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 3; i++)
        {
            statuses.Add((await client.PostAsync("/api/auth/register", new { email = AuthClient.NewEmail(), password = AuthClient.Password, name = "N" })).StatusCode);
        }

        Assert.Equal([HttpStatusCode.Created, HttpStatusCode.Created, HttpStatusCode.TooManyRequests], statuses);
        await AssertLimitedAsync(await client.PostAsync("/api/auth/register", new { email = AuthClient.NewEmail(), password = AuthClient.Password, name = "N" }));
    }

    [Fact]
    public async Task Login_PerIp_TripsAtLimit()
    {
        await using var server = await StartAsync("Login", 3);
        var client = new AuthClient(server);

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await client.PostAsync("/api/auth/login", new { email = "x@example.com", password = "Nope-nope-1" })).StatusCode);
        }

        await AssertLimitedAsync(await client.PostAsync("/api/auth/login", new { email = "x@example.com", password = "Nope-nope-1" }));
    }

    [Fact]
    public async Task ForgotPassword_PerIp_TripsAtLimit()
    {
        await using var server = await StartAsync("ForgotPassword", 2);
        var client = new AuthClient(server);

        for (var i = 0; i < 2; i++)
        {
            Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync("/api/auth/forgot-password", new { email = AuthClient.NewEmail() })).StatusCode);
        }

        await AssertLimitedAsync(await client.PostAsync("/api/auth/forgot-password", new { email = AuthClient.NewEmail() }));
    }

    [Fact]
    public async Task ForgotPassword_PastThePerAccountBudget_NothingMoreIsSent_ButTheNewestLinkStillWorks()
    {
        await using var server = await StartAsync("ForgotPasswordAccount", 3);
        var client = new AuthClient(server);
        var victim = AuthClient.NewEmail();
        await client.RegisterAsync(victim);

        // Someone else spends the victim's budget: three reset emails reach the victim's inbox.
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync("/api/auth/forgot-password", new { email = victim })).StatusCode);
        }
        await server.Mailbox.WaitForAsync(victim, "Reset your", count: 3);
        // The victim asks too: the same answer, no fourth email (no mail bomb), and no lockout...
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync("/api/auth/forgot-password", new { email = victim.ToUpperInvariant() })).StatusCode);
        // ...because the newest link already in the inbox still resets the password.
        Assert.True(await AnyLinkWorksAsync(server, victim, "Reset your", "/reset-password",
            token => client.PostAsync("/api/auth/reset-password", new { token, new_password = "a brand new passphrase 42" })));
        (await client.PostAsync("/api/auth/forgot-password", new { email = AuthClient.NewEmail() })).EnsureSuccessStatusCode();
        Assert.Equal(3, server.Mailbox.All(victim).Count(m => m.Subject!.Contains("Reset your", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task ResendVerification_PastThePerAccountBudget_NothingMoreIsSent_ButTheNewestLinkStillWorks()
    {
        await using var server = await StartAsync("ResendVerification", 3);
        var client = new AuthClient(server);
        var email = AuthClient.NewEmail();
        await client.RegisterAsync(email);

        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync("/api/auth/resend-verification", new { email })).StatusCode);
        }

        // The registration email and three resends; the fourth request sent nothing, and the newest link works.
        await server.Mailbox.WaitForAsync(email, "Confirm your email", count: 4);
        Assert.True(await AnyLinkWorksAsync(server, email, "Confirm your email", "/verify-email",
            token => client.PostAsync("/api/auth/verify-email", new { token })));
        Assert.Equal(4, server.Mailbox.All(email).Count);
    }

    /// <summary>Whether one of the links in the inbox still works (the newest; the pickup folder's file order is not the send order).</summary>
    private static async Task<bool> AnyLinkWorksAsync(TestServer server, string to, string subject, string path, Func<string, Task<HttpResponseMessage>> use)
    {
        foreach (var message in server.Mailbox.All(to).Where(m => m.Subject!.Contains(subject, StringComparison.Ordinal)))
        {
            if ((await use(Mailbox.TokenFrom(message, path))).StatusCode == HttpStatusCode.OK)
            {
                return true;
            }
        }
        return false;
    }

    [Fact]
    public async Task Refresh_PerSession_TripsAtLimit()
    {
        await using var server = await StartAsync("Refresh", 3);
        var client = new AuthClient(server);
        var tokens = await client.RegisterVerifiedAsync();
        var other = await client.LoginAsync(tokens.User.Email);

        var current = tokens.RefreshToken;
        for (var i = 0; i < 3; i++)
        {
            var response = await client.PostAsync("/api/auth/refresh", new { refresh_token = current });
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            current = (await client.ReadAsync<TokenResponse>(response)).RefreshToken;
        }

        await AssertLimitedAsync(await client.PostAsync("/api/auth/refresh", new { refresh_token = current }));
        // The limit is per session: the user's other session still refreshes.
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("/api/auth/refresh", new { refresh_token = other.RefreshToken })).StatusCode);
    }

    private static Task<TestServer> StartAsync(string rule, int limit) => TestServer.StartAsync(o =>
    {
        o.Settings[$"RateLimits:{rule}:PermitLimit"] = limit.ToString(System.Globalization.CultureInfo.InvariantCulture);
        o.Settings[$"RateLimits:{rule}:Window"] = "01:00:00";
    });

    private static async Task AssertLimitedAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.True(response.Headers.RetryAfter?.Delta > TimeSpan.Zero, "Retry-After missing");
        Assert.Equal("rate_limited", (await AuthClient.ProblemAsync(response)).GetProperty("code").GetString());
    }
}
