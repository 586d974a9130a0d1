using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using SqlStudio.Server.Data;
using SqlStudio.Server.Email;
using SqlStudio.Testing;

namespace SqlStudio.Server.Tests.Email;

/// <summary>
/// Email survives an SMTP outage and a crash, and is sent once however many instances run (issue #13 §2): the outbox is
/// a table, written with the change that causes the email, claimed with a lease.
/// </summary>
public sealed class EmailOutboxTests
{
    private sealed record Row(string State, long Attempts, string? LastError, string? Html, string? TextBody);

    private static async Task<Row?> RowAsync(TestServer server, string to)
    {
        Row? row = null;
        await server.Services.GetRequiredService<Db>().ReadBatchAsync(new SqlBatch().Query<Row>(
            "SELECT state, attempts, last_error, html, text_body FROM email_outbox WHERE to_address = @to", new { to }, rows => row = rows.SingleOrDefault()));
        return row;
    }

    /// <summary>
    /// Waits for the row to meet <paramref name="condition"/>; with <paramref name="time"/>, moves the server's clock on by
    /// a poll interval each round (the worker sleeps on that clock, and may not have started sleeping at the first move).
    /// </summary>
    private static async Task<Row> EventuallyAsync(TestServer server, string to, Func<Row, bool> condition, string what, FakeTimeProvider? time = null)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (true)
        {
            time?.Advance(TimeSpan.FromSeconds(10));
            if (await RowAsync(server, to) is { } row && condition(row))
            {
                return row;
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"The outbox row to {to} never became {what} (now: {await RowAsync(server, to)}).");
            }
            await Task.Delay(20);
        }
    }

    [Fact]
    public async Task SmtpDown_RetriedUntilRetryFor_ThenFailed_ListedAndRetriedByTheOperator_ThenSentOnce()
    {
        var smtpPort = Loopback.FreePort();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var server = await TestServer.StartAsync(o =>
        {
            o.Time = time;
            SmtpTestServer.Configure(o, smtpPort);
            o.Settings["Email:Outbox:RetryInitial"] = "00:01:00";
            o.Settings["Email:Outbox:RetryFor"] = "00:30:00";
            o.Settings["Email:Outbox:PollInterval"] = "00:00:10";
        });
        var email = AuthClient.NewEmail();

        // Nothing listens on the SMTP port: the first attempt fails, and the email waits for its retry.
        await new AuthClient(server).RegisterAsync(email);
        var waiting = await EventuallyAsync(server, email, r => r.Attempts >= 1 && r.LastError is not null, "tried once");
        Assert.Equal("queued", waiting.State);
        Assert.DoesNotContain("token", waiting.LastError, StringComparison.OrdinalIgnoreCase);

        // Past Email:Outbox:RetryFor: the next attempt fails too, and the message is given up on.
        time.Advance(TimeSpan.FromMinutes(31));
        await EventuallyAsync(server, email, r => r.State == "failed", "failed", time);

        var listed = new StringWriter();
        Assert.Equal(0, await OperatorCommands.RunAsync(["email", "failed", .. server.OperatorArgs], listed, listed));
        Assert.Contains(email, listed.ToString());
        Assert.Contains("Confirm your email", listed.ToString());
        var messageId = listed.ToString().Split(' ', 2)[0];

        await using var smtp = await SmtpTestServer.StartAsync(smtpPort);
        var retried = new StringWriter();
        Assert.Equal(0, await OperatorCommands.RunAsync(["email", "retry", messageId, .. server.OperatorArgs], retried, retried));
        Assert.Contains("1 email(s) queued again", retried.ToString());
        var sent = await EventuallyAsync(server, email, r => r.State == "sent", "sent", time);
        var message = await smtp.WaitForAsync(email);
        Assert.Contains("/verify-email?token=", message.TextBody);
        // Sent: the bodies, which carry the link's token, are gone from the database.
        Assert.Null(sent.Html);
        Assert.Null(sent.TextBody);
        Assert.Single(smtp.To(email));

        var none = new StringWriter();
        Assert.Equal(3, await OperatorCommands.RunAsync(["email", "retry", messageId, .. server.OperatorArgs], none, none));
        var neither = new StringWriter();
        Assert.True(2 == await OperatorCommands.RunAsync(["email", "retry", .. server.OperatorArgs], neither, neither), neither.ToString());
    }

    [Fact]
    public async Task TwoInstances_EveryEmailSentExactlyOnce()
    {
        await using var smtp = await SmtpTestServer.StartAsync();
        void Configure(TestServerOptions o)
        {
            SmtpTestServer.Configure(o, smtp.Port);
            o.Settings["Email:Outbox:PollInterval"] = "00:00:00.020";
        }
        await using var first = await TestServer.StartAsync(Configure);
        await using var second = await TestServer.StartAsync(o =>
        {
            Configure(o);
            o.SameDatabaseAs(first);
        });
        var emails = Enumerable.Range(0, 16).Select(_ => AuthClient.NewEmail()).ToList();

        // Registered on both, at once: each instance wakes for its own rows and polls for the other's.
        await Task.WhenAll(emails.Select((email, i) => new AuthClient(i % 2 == 0 ? first : second).RegisterAsync(email)));
        foreach (var email in emails)
        {
            await smtp.WaitForAsync(email);
        }
        foreach (var email in emails)
        {
            var row = await EventuallyAsync(first, email, r => r.State == "sent", "sent");
            Assert.Equal(1, row.Attempts);
            Assert.Single(smtp.To(email));
        }
        Assert.Equal(emails.Count, smtp.Messages.Count);
    }

    [Fact]
    public async Task SmtpDown_Register_Sigkill_RestartWithSmtpUp_TheEmailArrives()
    {
        var data = TestServer.NewDataDirectory();
        var smtpPort = Loopback.FreePort();
        await using var sqld = TestServer.UseLibSql ? await SqldServer.StartAsync(Path.Combine(data, "sqld")) : null;
        void Configure(TestServerOptions o)
        {
            SmtpTestServer.Configure(o, smtpPort);
            o.Settings["Email:Outbox:RetryInitial"] = "00:00:00.200";
            o.Settings["Email:Outbox:RetryMax"] = "00:00:00.500";
            o.UseSqld(sqld);
        }
        var email = AuthClient.NewEmail();

        await using (var crashing = await ServerProcess.StartAsync(data, Configure))
        {
            using var http = new HttpClient { BaseAddress = crashing.BaseAddress };
            var response = await http.PostAsync("/api/auth/register", System.Net.Http.Json.JsonContent.Create(
                new { email, password = AuthClient.Password, name = "Ada" }));
            Assert.Equal(System.Net.HttpStatusCode.Created, response.StatusCode);
            // The mail server is down: the email was tried and waits in the outbox.
            var deadline = DateTime.UtcNow.AddSeconds(15);
            while (!crashing.Log.Contains("not delivered (attempt 1)", StringComparison.Ordinal))
            {
                Assert.True(DateTime.UtcNow < deadline, $"No failed attempt logged: {crashing.Log}");
                await Task.Delay(20);
            }
            await crashing.KillAsync();
        }

        await using var smtp = await SmtpTestServer.StartAsync(smtpPort);
        await using var restarted = await ServerProcess.StartAsync(data, Configure);
        var message = await smtp.WaitForAsync(email);
        Assert.Contains("/verify-email?token=", message.TextBody);
        Assert.Single(smtp.To(email));
    }
}
