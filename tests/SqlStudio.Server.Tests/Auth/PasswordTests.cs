using System.Net;
using SqlStudio.Contracts;
using SqlStudio.Testing;

namespace SqlStudio.Server.Tests.Auth;

public sealed class PasswordTests : OwnTimedServer
{
    private const string NewPassword = "Brand-new-secret-7";
    private AuthClient? _client;

    private AuthClient Client => _client ??= new(Server);

    [Fact]
    public async Task Forgot_UnknownEmail_Returns202AndSendsNothing()
    {
        var email = AuthClient.NewEmail();

        var response = await Client.PostAsync("/api/auth/forgot-password", new { email });

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Empty(Server.Mailbox.All(email));
    }

    [Fact]
    public async Task Reset_Link_WorksOnceRevokesSessionsAndDoesNotSignIn()
    {
        var email = AuthClient.NewEmail();
        var session = await Client.RegisterVerifiedAsync(email);
        var token = await RequestResetAsync(email);

        var reset = await Client.PostAsync("/api/auth/reset-password", new { token, new_password = NewPassword });
        var again = await Client.PostAsync("/api/auth/reset-password", new { token, new_password = "Another-secret-8" });

        Assert.Equal(HttpStatusCode.OK, reset.StatusCode);
        Assert.Equal("no-referrer", reset.Headers.GetValues("Referrer-Policy").Single());
        var body = await reset.Content.ReadAsStringAsync();
        Assert.DoesNotContain("access_token", body);
        Assert.Equal(HttpStatusCode.BadRequest, again.StatusCode);
        Assert.Equal("token_invalid", (await AuthClient.ProblemAsync(again)).GetProperty("code").GetString());
        Assert.Equal(HttpStatusCode.Unauthorized, (await Client.SendAsync(HttpMethod.Get, "/api/auth/me", session.AccessToken)).StatusCode);
        await Server.Mailbox.WaitForAsync(email, "password was changed");
        Assert.Equal(HttpStatusCode.Unauthorized, (await Client.PostAsync("/api/auth/login", new { email, password = AuthClient.Password })).StatusCode);
        Assert.NotNull(await Client.LoginAsync(email, NewPassword));
    }

    [Fact]
    public async Task Reset_AfterOneHour_IsRefused()
    {
        var email = AuthClient.NewEmail();
        await Client.RegisterAsync(email);
        var token = await RequestResetAsync(email);

        Time.Advance(TimeSpan.FromMinutes(61));
        var response = await Client.PostAsync("/api/auth/reset-password", new { token, new_password = NewPassword });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("token_invalid", (await AuthClient.ProblemAsync(response)).GetProperty("code").GetString());
    }

    [Fact]
    public async Task Reset_NewerLink_InvalidatesOlder()
    {
        var email = AuthClient.NewEmail();
        await Client.RegisterAsync(email);
        var older = await RequestResetAsync(email);
        var newer = await RequestResetAsync(email, count: 2);

        var oldAttempt = await Client.PostAsync("/api/auth/reset-password", new { token = older, new_password = NewPassword });
        var newAttempt = await Client.PostAsync("/api/auth/reset-password", new { token = newer, new_password = NewPassword });

        Assert.Equal(HttpStatusCode.BadRequest, oldAttempt.StatusCode);
        Assert.Equal(HttpStatusCode.OK, newAttempt.StatusCode);
    }

    [Fact]
    public async Task Reset_WeakPassword_Returns400ValidationFailed()
    {
        var email = AuthClient.NewEmail();
        await Client.RegisterAsync(email);
        var token = await RequestResetAsync(email);

        var response = await Client.PostAsync("/api/auth/reset-password", new { token, new_password = "password" });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await AuthClient.ProblemAsync(response);
        Assert.Equal("validation_failed", problem.GetProperty("code").GetString());
        Assert.True(problem.GetProperty("errors").TryGetProperty("new_password", out _));
    }

    [Fact]
    public async Task ChangePassword_RevokesOtherSessionsKeepsThisOne()
    {
        var email = AuthClient.NewEmail();
        var other = await Client.RegisterVerifiedAsync(email);
        var current = await Client.LoginAsync(email);

        var response = await Client.PostAsync("/api/auth/change-password",
            new { current_password = AuthClient.Password, new_password = NewPassword }, current.AccessToken);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Client.SendAsync(HttpMethod.Get, "/api/auth/me", current.AccessToken)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Client.SendAsync(HttpMethod.Get, "/api/auth/me", other.AccessToken)).StatusCode);
        Assert.NotNull(await Client.LoginAsync(email, NewPassword));
        await Server.Mailbox.WaitForAsync(email, "password was changed");
    }

    [Fact]
    public async Task ChangePassword_WrongCurrent_Returns400()
    {
        var tokens = await Client.RegisterVerifiedAsync();

        var response = await Client.PostAsync("/api/auth/change-password",
            new { current_password = "Not-my-password-1", new_password = NewPassword }, tokens.AccessToken);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await AuthClient.ProblemAsync(response)).GetProperty("errors").TryGetProperty("current_password", out _));
    }

    private async Task<string> RequestResetAsync(string email, int count = 1)
    {
        var response = await Client.PostAsync("/api/auth/forgot-password", new { email });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var mail = await Server.Mailbox.WaitForAsync(email, "Reset your", count);
        Assert.StartsWith(TestServer.PublicUrl + "/reset-password?token=", Mailbox.LinkFrom(mail, "/reset-password"));
        return Mailbox.TokenFrom(mail, "/reset-password");
    }
}
