using System.Net.Http.Json;
using System.Text.Json.Nodes;
using SqlStudio.Testing;

namespace SqlStudio.Server.Tests.Web;

/// <summary>
/// Graceful shutdown (issue #13 §3), on the real executable: SIGTERM ends event streams with an <c>end</c> event (the
/// client reconnects elsewhere after the retry hint) and the process exits cleanly. (A long-poll in flight answers
/// with the current head at once, too.)
/// </summary>
public sealed class ShutdownTests
{
    [Fact]
    public async Task Sigterm_EndsStreams_AnswersTheInFlightLongPoll_ExitsCleanly()
    {
        var data = TestServer.NewDataDirectory();
        await using var sqld = TestServer.UseLibSql ? await SqldServer.StartAsync(Path.Combine(data, "sqld")) : null;
        await using var server = await ServerProcess.StartAsync(data, o => o.UseSqld(sqld));
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        var email = AuthClient.NewEmail();
        (await http.PostAsJsonAsync("/api/auth/register", new { email, password = AuthClient.Password, name = "Ada" })).EnsureSuccessStatusCode();
        var message = await new Mailbox(Path.Combine(data, "mail")).WaitForAsync(email, "Confirm your email", log: () => server.Log);
        (await http.PostAsJsonAsync("/api/auth/verify-email", new { token = Mailbox.TokenFrom(message, "/verify-email") })).EnsureSuccessStatusCode();
        var login = await (await http.PostAsJsonAsync("/api/auth/login", new { email, password = AuthClient.Password })).Content.ReadFromJsonAsync<JsonObject>();
        var token = login!["access_token"]!.GetValue<string>();

        await using var stream = await EventStream.OpenAsync(server.BaseAddress, token);
        var ready = await stream.NextEventAsync();
        Assert.Equal("ready", ready!.Event);

        var exit = server.TerminateAsync(TimeSpan.FromSeconds(20));

        // The open stream (an in-flight request) is finished, not dropped: an `end` event says why, then it closes.
        var end = await stream.NextEventAsync(TimeSpan.FromSeconds(15));
        Assert.Equal("end", end!.Event);
        Assert.Equal("server_shutdown", end.Json["reason"]!.GetValue<string>());
        Assert.Equal(0, await exit);
        // A shutdown is not an error (issue #22 §13): no error line, no cancellation stack in the log.
        Assert.DoesNotContain("OperationCanceledException", server.Log);
        Assert.DoesNotContain("TaskCanceledException", server.Log);
        Assert.DoesNotContain("\"LogLevel\":\"Error\"", server.Log);
        Assert.DoesNotContain("fail:", server.Log);
    }
}
