using SqlStudio.Testing;

namespace SqlStudio.Server.Tests.Email;

/// <summary>Email mode <c>smtp</c> through MailKit to a real SMTP server running in the test.</summary>
public sealed class SmtpDeliveryTests : IAsyncLifetime
{
    private SmtpTestServer _smtp = null!;

    public async Task InitializeAsync() => _smtp = await SmtpTestServer.StartAsync();

    public async Task DisposeAsync() => await _smtp.DisposeAsync();

    [Fact]
    public async Task Register_SmtpMode_DeliversVerificationWithHtmlAndTextParts()
    {
        await using var server = await TestServer.StartAsync(o =>
        {
            SmtpTestServer.Configure(o, _smtp.Port);
            o.Settings["Email:From"] = "SQL Studio Cloud <hello@sqlstudio.test>";
        });
        var email = AuthClient.NewEmail();

        await new AuthClient(server).RegisterAsync(email, name: "Grace");
        var message = await _smtp.WaitForAsync(email);

        Assert.Equal("Confirm your email for SQL Studio Cloud", message.Subject);
        Assert.Equal("hello@sqlstudio.test", message.From.Mailboxes.Single().Address);
        Assert.Contains("Hi Grace,", message.TextBody);
        Assert.Contains(TestServer.PublicUrl + "/verify-email?token=", message.TextBody);
        Assert.Contains("<a href=\"" + TestServer.PublicUrl + "/verify-email?token=", message.HtmlBody);
        Assert.Empty(server.Mailbox.All(email));
    }
}
