using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using Microsoft.Data.Sqlite;
using SqlStudio.Contracts;
using SqlStudio.Testing;

namespace SqlStudio.Server.Tests.Auth;

public sealed class RegistrationTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private readonly AuthClient _client = new(fixture.Server);

    [Fact]
    public async Task Register_Valid_Returns201AndSendsVerificationLinkOnPublicUrl()
    {
        var email = AuthClient.NewEmail();
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/auth/register")
        {
            Content = JsonContent.Create(new { email = $"  {email}  ", password = AuthClient.Password, name = "Ada" }),
        };
        // Links must come from App:PublicUrl, never from what the request claims its host is.
        request.Headers.Host = "attacker.example";

        var response = await _client.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = await _client.ReadAsync<RegisterResponse>(response);
        Assert.Equal(email, body.Email);
        Assert.True(body.VerificationSent);
        var message = await fixture.Server.Mailbox.WaitForAsync(email, "Confirm your email");
        Assert.StartsWith(TestServer.PublicUrl + "/verify-email?token=", Mailbox.LinkFrom(message, "/verify-email"));
        Assert.DoesNotContain("attacker.example", message.HtmlBody);
        Assert.Contains("Ada", message.TextBody);
    }

    [Fact]
    public async Task Register_EveryFieldInvalid_ReturnsFieldErrors()
    {
        var response = await _client.PostAsync("/api/auth/register", new { email = "not-an-email", password = "short", name = "" });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await AuthClient.ProblemAsync(response);
        Assert.Equal("validation_failed", problem.GetProperty("code").GetString());
        var errors = problem.GetProperty("errors");
        Assert.True(errors.TryGetProperty("email", out _));
        Assert.True(errors.TryGetProperty("name", out _));
        var passwordErrors = errors.GetProperty("password").EnumerateArray().Select(e => e.GetString()).ToList();
        Assert.Contains(passwordErrors, e => e!.Contains("8 characters"));
        Assert.Contains(passwordErrors, e => e!.Contains("digit"));
        Assert.Contains(passwordErrors, e => e!.Contains("symbol"));
    }

    [Theory]
    [InlineData("P@ssw0rd")]
    [InlineData("p@ssw0rd")]
    [InlineData("1QAZ!QAZ")]
    public async Task Register_CommonPassword_IsRefusedCaseInsensitively(string password)
    {
        var response = await _client.PostAsync("/api/auth/register", new { email = AuthClient.NewEmail(), password, name = "A" });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await AuthClient.ProblemAsync(response);
        Assert.Contains("most common", problem.GetProperty("errors").GetProperty("password")[0].GetString());
    }

    [Fact]
    public async Task Register_NameTooLong_IsRefused()
    {
        var response = await _client.PostAsync("/api/auth/register",
            new { email = AuthClient.NewEmail(), password = AuthClient.Password, name = new string('n', 101) });

        var problem = await AuthClient.ProblemAsync(response);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True(problem.GetProperty("errors").TryGetProperty("name", out _));
    }

    [Fact]
    public async Task Register_SameEmailOtherCase_Returns409WithFriendlyDetail()
    {
        var email = AuthClient.NewEmail();
        await _client.RegisterAsync(email);

        var response = await _client.PostAsync("/api/auth/register", new { email = email.ToUpperInvariant(), password = AuthClient.Password, name = "B" });

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        var problem = await AuthClient.ProblemAsync(response);
        Assert.Equal("email_taken", problem.GetProperty("code").GetString());
        Assert.Contains("Log in", problem.GetProperty("detail").GetString());
        Assert.Contains("reset your password", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Register_InjectionAndScriptPayloads_AreStoredLiterally()
    {
        const string name = "Robert'); DROP TABLE users;-- <script>alert(1)</script>";
        var email = AuthClient.NewEmail("o'hara");
        await _client.RegisterAsync(email, name: name);
        var tokens = await _client.LoginAsync(email);

        var me = await _client.ReadAsync<MeResponse>(await _client.SendAsync(HttpMethod.Get, "/api/auth/me", tokens.AccessToken));

        Assert.Equal(name, me.Name);
        Assert.Equal(email, me.Email);
        await using var connection = new SqliteConnection($"Data Source={fixture.Server.DatabasePath};Pooling=False");
        Assert.True(await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM users") >= 1);
    }

    [Fact]
    public async Task Register_MissingBody_Returns400Problem()
    {
        var response = await _client.Http.PostAsync("/api/auth/register", new StringContent("", System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Unverified_Login_WorksWithFreeTierAndUnverifiedFlag()
    {
        var email = AuthClient.NewEmail();
        await _client.RegisterAsync(email);

        var tokens = await _client.LoginAsync(email);

        Assert.False(tokens.User.EmailVerified);
        Assert.Equal(Tiers.Free, tokens.User.Tier);
    }

    [Fact]
    public void PasswordList_HasAtLeastTenThousandEntries()
    {
        Assert.True(SqlStudio.Server.Auth.PasswordPolicy.CommonPasswordCount >= 10_000);
    }
}
