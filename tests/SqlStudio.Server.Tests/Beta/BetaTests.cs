using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using SqlStudio.Contracts;
using SqlStudio.Testing;

namespace SqlStudio.Server.Tests.Beta;

public sealed class InviteOnlyFixture : IAsyncLifetime
{
    public const string Support = "support@sqlstudio.test";

    public TestServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await TestServer.StartAsync(o =>
    {
        o.Settings["Beta:InviteOnly"] = "true";
        o.Settings["Beta:SupportEmail"] = Support;
    });

    public async Task DisposeAsync() => await Server.DisposeAsync();
}

/// <summary>Issue #15's invites, waitlist, feedback and launch figures, through the API and the operator commands.</summary>
public sealed class BetaTests(InviteOnlyFixture fixture) : IClassFixture<InviteOnlyFixture>
{
    private TestServer Server => fixture.Server;

    private AuthClient Api => new(Server);

    private async Task<(int Code, string Output)> OperatorAsync(params string[] args)
    {
        var output = new StringWriter();
        var code = await OperatorCommands.RunAsync([.. args, .. Server.OperatorArgs], output, output);
        return (code, output.ToString());
    }

    private async Task<string> CodeAsync(params string[] options)
    {
        var (code, output) = await OperatorAsync(["beta", "codes", "create", .. options]);
        Assert.Equal(0, code);
        return output.Split('\n')[0].Trim();
    }

    private Task<HttpResponseMessage> RegisterAsync(string email, string? invite) =>
        Api.PostAsync("/api/auth/register", new { email, password = AuthClient.Password, name = "Beta Tester", invite_code = invite });

    private static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal(code, (await AuthClient.ProblemAsync(response)).GetProperty("code").GetString());
    }

    [Fact]
    public async Task InviteOnly_NoCode_Is403_UnknownCode_Is400_AndNoAccountIsMade()
    {
        var email = AuthClient.NewEmail();

        await AssertProblemAsync(await RegisterAsync(email, null), HttpStatusCode.Forbidden, "invite_required");
        await AssertProblemAsync(await RegisterAsync(email, "AAAA-BBBB-CCCC-DDDD"), HttpStatusCode.BadRequest, "invite_invalid");

        Assert.Equal(0L, await ScalarAsync("SELECT count(*) FROM users WHERE email = @email", new { email }));
    }

    [Fact]
    public async Task Code_WorksForItsUses_ThenIsUsedUp_TypedLowerCaseWithoutDashesToo()
    {
        var code = await CodeAsync("--uses", "2");

        var first = await RegisterAsync(AuthClient.NewEmail(), code);
        var second = await RegisterAsync(AuthClient.NewEmail(), code.Replace("-", "").ToLowerInvariant());
        var third = await RegisterAsync(AuthClient.NewEmail(), code);

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.Created, second.StatusCode);
        var problem = await AuthClient.ProblemAsync(third);
        Assert.Equal(HttpStatusCode.BadRequest, third.StatusCode);
        Assert.Equal("invite_invalid", problem.GetProperty("code").GetString());
        Assert.Contains("already been used", problem.GetProperty("detail").GetString());
        var userId = (await first.Content.ReadFromJsonAsync<RegisterResponse>(AuthClient.Json))!.UserId;
        Assert.Equal(SqlStudio.Server.Kernel.Legal.Version, await QueryAsync<string>("SELECT terms_version FROM users WHERE user_id = @userId", new { userId }));
    }

    [Fact]
    public async Task LastUse_TakenByTwoRegistrationsAtOnce_OnlyOneGetsIt()
    {
        var code = await CodeAsync();

        var answers = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => RegisterAsync(AuthClient.NewEmail(), code)));

        Assert.Single(answers, a => a.StatusCode == HttpStatusCode.Created);
        Assert.All(answers.Where(a => a.StatusCode != HttpStatusCode.Created), a => Assert.Equal(HttpStatusCode.BadRequest, a.StatusCode));
    }

    [Fact]
    public async Task BoundCode_RefusesAnotherEmail_ExpiredCode_IsRefused()
    {
        var owner = AuthClient.NewEmail();
        var bound = await CodeAsync("--email", owner);
        var expiring = await CodeAsync("--expires", "1d");
        await ExecuteAsync("UPDATE invites SET expires_at = '2020-01-01T00:00:00.000Z' WHERE expires_at IS NOT NULL AND uses = 0");

        await AssertProblemAsync(await RegisterAsync(AuthClient.NewEmail(), bound), HttpStatusCode.BadRequest, "invite_invalid");
        await AssertProblemAsync(await RegisterAsync(AuthClient.NewEmail(), expiring), HttpStatusCode.BadRequest, "invite_invalid");
        Assert.Equal(HttpStatusCode.Created, (await RegisterAsync(owner.ToUpperInvariant(), bound)).StatusCode);
    }

    [Fact]
    public async Task Waitlist_DoubleOptIn_ThenInviteFromWaitlist_EmailsALinkThatRegisters()
    {
        var email = AuthClient.NewEmail("waiting");
        var join = await Api.PostAsync("/api/beta/waitlist", new { email });
        var again = await Api.PostAsync("/api/beta/waitlist", new { email });
        var bad = await Api.PostAsync("/api/beta/waitlist", new { email = "not an email" });

        Assert.Equal(HttpStatusCode.Accepted, join.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, again.StatusCode);
        await AssertProblemAsync(bad, HttpStatusCode.BadRequest, "validation_failed");
        // Unconfirmed, nobody is invited from the list.
        await Server.Mailbox.WaitForAsync(email, "Confirm your place", count: 2);
        Assert.Contains("0 invite(s)", (await OperatorAsync("beta", "invite", "--from-waitlist", "1000")).Output);

        // The newest link confirms (the first was replaced by the second); the page's button is tested in the browser.
        var confirmations = Server.Mailbox.All(email).Where(m => m.Subject!.Contains("Confirm your place")).ToList();
        var waitlist = Server.Services.GetRequiredService<SqlStudio.Server.Beta.Waitlist>();
        Assert.False(await waitlist.ConfirmAsync(Mailbox.TokenFrom(confirmations[0], "/waitlist/confirm")));
        Assert.True(await waitlist.ConfirmAsync(Mailbox.TokenFrom(confirmations[1], "/waitlist/confirm")));

        var (code, output) = await OperatorAsync("beta", "invite", "--from-waitlist", "1000");
        Assert.Equal(0, code);
        Assert.Contains($"invited {email}", output);
        var invite = await Server.Mailbox.WaitForAsync(email, "Your invite");
        var link = new Uri(Mailbox.LinkFrom(invite, "/register"));
        var query = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(link.Query);
        Assert.Equal(email, query["email"].ToString());

        Assert.Equal(HttpStatusCode.Created, (await RegisterAsync(email, query["invite"])).StatusCode);
        Assert.DoesNotContain($"invited {email}", (await OperatorAsync("beta", "invite", "--from-waitlist", "1000")).Output);
    }

    [Fact]
    public async Task InviteByEmail_SkipsExistingAccounts_BadAddressIsExit2()
    {
        var fresh = AuthClient.NewEmail();
        var existing = AuthClient.NewEmail();
        Assert.Equal(HttpStatusCode.Created, (await RegisterAsync(existing, await CodeAsync())).StatusCode);

        var (code, output) = await OperatorAsync("beta", "invite", "--email", fresh, "--email", existing);
        var (badCode, badOutput) = await OperatorAsync("beta", "invite", "--email", "nope");

        Assert.Equal(0, code);
        Assert.Contains($"invited {fresh}", output);
        Assert.Contains($"skipped {existing}: already has an account", output);
        await Server.Mailbox.WaitForAsync(fresh, "Your invite");
        Assert.Equal(2, badCode);
        Assert.Contains("not an email address", badOutput);
    }

    [Fact]
    public async Task Feedback_IsStoredAndForwarded_BadInputIs400()
    {
        var user = await SignedInAsync();
        var marker = Guid.NewGuid().ToString("N");

        var sent = await user.Http.PostAsJsonAsync("/api/feedback", new { kind = "idea", message = "Dark mode for the diff " + marker, rating = 5 });
        var badKind = await user.Http.PostAsJsonAsync("/api/feedback", new { kind = "rant", message = "x" });
        var badRating = await user.Http.PostAsJsonAsync("/api/feedback", new { kind = "bug", message = "x", rating = 9 });
        var empty = await user.Http.PostAsJsonAsync("/api/feedback", new { kind = "bug", message = "  " });
        var control = await user.Http.PostAsJsonAsync("/api/feedback", new { kind = "bug", message = "a\u0000b" });
        using var anonymous = Server.CreateClient();
        var unsigned = await anonymous.PostAsJsonAsync("/api/feedback", new { kind = "bug", message = "x" });

        Assert.Equal(HttpStatusCode.Created, sent.StatusCode);
        var id = (await sent.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("feedback_id").GetString();
        Assert.Equal(1L, await ScalarAsync("SELECT count(*) FROM feedback WHERE feedback_id = @id AND rating = 5", new { id }));
        foreach (var bad in new[] { badKind, badRating, empty, control })
        {
            await AssertProblemAsync(bad, HttpStatusCode.BadRequest, "validation_failed");
        }
        Assert.Equal(HttpStatusCode.Unauthorized, unsigned.StatusCode);
        var forwarded = await Server.Mailbox.WaitForAsync(InviteOnlyFixture.Support, "from " + user.Tokens.User.Email);
        Assert.Contains("idea, 5/5", forwarded.Subject);
        Assert.Contains(marker, forwarded.TextBody);
    }

    [Fact]
    public async Task LaunchFigures_AreForAdminsOnly_AndCountWhatHappened()
    {
        var user = await SignedInAsync();
        await user.Http.PostAsJsonAsync("/api/feedback", new { kind = "praise", message = "Works well", rating = 4 });

        var refused = await user.Http.GetAsync("/api/admin/launch");
        Assert.Equal(0, (await OperatorAsync("admin", "grant", user.Tokens.User.Email)).Code);
        var report = await user.Http.GetFromJsonAsync<JsonElement>("/api/admin/launch");
        var (reportCode, reportOutput) = await OperatorAsync("beta", "report");
        Assert.Equal(0, (await OperatorAsync("admin", "revoke", user.Tokens.User.Email)).Code);
        var revoked = await user.Http.GetAsync("/api/admin/launch");
        var (unknownCode, _) = await OperatorAsync("admin", "grant", "nobody@example.com");

        await AssertProblemAsync(refused, HttpStatusCode.NotFound, "not_found");
        Assert.True(report.GetProperty("signups").GetProperty("count").GetDouble() >= 1);
        Assert.True(report.GetProperty("verified").GetProperty("count").GetDouble() >= 1);
        Assert.Equal("50 signups", report.GetProperty("signups").GetProperty("target").GetString());
        Assert.True(report.GetProperty("satisfaction").GetProperty("count").GetDouble() > 0);
        Assert.Equal(0, reportCode);
        Assert.Contains("onboarding completed", reportOutput);
        Assert.Contains("target > 4.0 of 5", reportOutput);
        Assert.Equal(HttpStatusCode.NotFound, revoked.StatusCode);
        Assert.Equal(3, unknownCode);
    }

    /// <summary>A verified user, registered with an invite.</summary>
    private async Task<SyncClient> SignedInAsync()
    {
        var email = AuthClient.NewEmail();
        Assert.Equal(HttpStatusCode.Created, (await RegisterAsync(email, await CodeAsync())).StatusCode);
        var message = await Server.Mailbox.WaitForAsync(email, "Confirm your email");
        (await Api.PostAsync("/api/auth/verify-email", new { token = Mailbox.TokenFrom(message, "/verify-email") })).EnsureSuccessStatusCode();
        return SyncClient.For(Server, await Api.LoginAsync(email));
    }

    private Task<long> ScalarAsync(string sql, object args) => QueryAsync<long>(sql, args);

    private async Task<T> QueryAsync<T>(string sql, object args)
    {
        await using var db = new SqliteConnection($"Data Source={Server.DatabasePath};Pooling=False");
        return (await db.ExecuteScalarAsync<T>(sql, args))!;
    }

    private Task ExecuteAsync(string sql) =>
        Server.Services.GetRequiredService<SqlStudio.Server.Data.Db>().WriteBatchAsync(new SqlStudio.Server.Data.SqlBatch().Execute(sql));
}
