using System.Net;
using SqlStudio.Contracts;
using SqlStudio.Testing;

namespace SqlStudio.Server.Tests.Auth;

public sealed class VerificationTests : OwnTimedServer
{
    private AuthClient? _client;

    private AuthClient Client => _client ??= new(Server);

    [Fact]
    public async Task VerifyEmail_Token_WorksOnceThenTokenInvalid()
    {
        var email = AuthClient.NewEmail();
        await Client.RegisterAsync(email);
        var token = Mailbox.TokenFrom(await Server.Mailbox.WaitForAsync(email, "Confirm"), "/verify-email");

        var first = await Client.PostAsync("/api/auth/verify-email", new { token });
        var second = await Client.PostAsync("/api/auth/verify-email", new { token });

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.True((await Client.ReadAsync<VerifyEmailResponse>(first)).EmailVerified);
        Assert.Equal(HttpStatusCode.BadRequest, second.StatusCode);
        Assert.Equal("token_invalid", (await AuthClient.ProblemAsync(second)).GetProperty("code").GetString());
        var tokens = await Client.LoginAsync(email);
        Assert.True(tokens.User.EmailVerified);
        Assert.Equal(Tiers.Individual, tokens.User.Tier);
    }

    [Fact]
    public async Task VerifyEmail_UnknownToken_Returns400()
    {
        var response = await Client.PostAsync("/api/auth/verify-email", new { token = "made-up" });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("token_invalid", (await AuthClient.ProblemAsync(response)).GetProperty("code").GetString());
    }

    [Fact]
    public async Task Resend_InvalidatesOlderTokenAndNewOneWorks()
    {
        var email = AuthClient.NewEmail();
        await Client.RegisterAsync(email);
        var old = Mailbox.TokenFrom(await Server.Mailbox.WaitForAsync(email, "Confirm"), "/verify-email");

        var resend = await Client.PostAsync("/api/auth/resend-verification", new { email });
        var fresh = Mailbox.TokenFrom(await Server.Mailbox.WaitForAsync(email, "Confirm", count: 2), "/verify-email");

        Assert.Equal(HttpStatusCode.Accepted, resend.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await Client.PostAsync("/api/auth/verify-email", new { token = old })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Client.PostAsync("/api/auth/verify-email", new { token = fresh })).StatusCode);
    }

    [Fact]
    public async Task Resend_UnknownEmail_Returns202AndSendsNothing()
    {
        var email = AuthClient.NewEmail();

        var response = await Client.PostAsync("/api/auth/resend-verification", new { email });

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Empty(Server.Mailbox.All(email));
    }

    [Fact]
    public async Task VerifyEmail_After24Hours_IsRefused()
    {
        var email = AuthClient.NewEmail();
        await Client.RegisterAsync(email);
        var token = Mailbox.TokenFrom(await Server.Mailbox.WaitForAsync(email, "Confirm"), "/verify-email");

        Time.Advance(TimeSpan.FromHours(24) + TimeSpan.FromSeconds(1));
        var response = await Client.PostAsync("/api/auth/verify-email", new { token });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }
}
