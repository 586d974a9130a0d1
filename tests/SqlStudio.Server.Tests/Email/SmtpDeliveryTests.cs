using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using MimeKit;
using SmtpServer;
using SmtpServer.Protocol;
using SmtpServer.Storage;
using SqlStudio.Testing;

namespace SqlStudio.Server.Tests.Email;

/// <summary>Email mode <c>smtp</c> through MailKit to a real SMTP server running in the test.</summary>
public sealed class SmtpDeliveryTests : IAsyncLifetime
{
    private readonly CapturingStore _store = new();
    private readonly CancellationTokenSource _stop = new();
    private SmtpServer.SmtpServer _smtp = null!;
    private Task _running = Task.CompletedTask;
    private int _port;

    public Task InitializeAsync()
    {
        _port = FreePort();
        var options = new SmtpServerOptionsBuilder().ServerName("localhost").Port(_port).Build();
        var services = new SmtpServer.ComponentModel.ServiceProvider();
        services.Add(_store);
        _smtp = new SmtpServer.SmtpServer(options, services);
        _running = _smtp.StartAsync(_stop.Token);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        _smtp.Shutdown();
        await _stop.CancelAsync();
        try
        {
            await _running;
        }
        catch (OperationCanceledException)
        {
        }
    }

    [Fact]
    public async Task Register_SmtpMode_DeliversVerificationWithHtmlAndTextParts()
    {
        await using var server = await TestServer.StartAsync(o =>
        {
            o.Settings["Email:Mode"] = "smtp";
            o.Settings["Email:Smtp:Host"] = "127.0.0.1";
            o.Settings["Email:Smtp:Port"] = _port.ToString(System.Globalization.CultureInfo.InvariantCulture);
            o.Settings["Email:Smtp:UseTls"] = "false";
            o.Settings["Email:From"] = "SQL Studio Cloud <hello@sqlstudio.test>";
        });
        var email = AuthClient.NewEmail();

        await new AuthClient(server).RegisterAsync(email, name: "Grace");
        var message = await _store.WaitForAsync(email);

        Assert.Equal("Confirm your email for SQL Studio Cloud", message.Subject);
        Assert.Equal("hello@sqlstudio.test", message.From.Mailboxes.Single().Address);
        Assert.Contains("Hi Grace,", message.TextBody);
        Assert.Contains(TestServer.PublicUrl + "/verify-email?token=", message.TextBody);
        Assert.Contains("<a href=\"" + TestServer.PublicUrl + "/verify-email?token=", message.HtmlBody);
        Assert.Empty(server.Mailbox.All(email));
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private sealed class CapturingStore : MessageStore
    {
        private readonly ConcurrentQueue<MimeMessage> _messages = new();

        public override Task<SmtpResponse> SaveAsync(
            ISessionContext context, IMessageTransaction transaction, ReadOnlySequence<byte> buffer, CancellationToken cancellationToken)
        {
            using var stream = new MemoryStream(buffer.ToArray());
            _messages.Enqueue(MimeMessage.Load(stream, cancellationToken));
            return Task.FromResult(SmtpResponse.Ok);
        }

        public async Task<MimeMessage> WaitForAsync(string to)
        {
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (DateTime.UtcNow < deadline)
            {
                if (_messages.FirstOrDefault(m => m.To.Mailboxes.Any(a => a.Address == to)) is { } found)
                {
                    return found;
                }
                await Task.Delay(25);
            }
            throw new TimeoutException($"No message to {to} reached the SMTP server.");
        }
    }
}
