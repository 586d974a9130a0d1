using System.Buffers;
using System.Collections.Concurrent;
using MimeKit;
using SmtpServer;
using SmtpServer.Protocol;
using SmtpServer.Storage;

namespace SqlStudio.Testing;

/// <summary>
/// A real SMTP server (the SmtpServer package) in the test process, on a loopback port, keeping every message it
/// receives. <see cref="ReserveAsync"/> gives a port with nothing listening yet: the mail server is down until
/// <see cref="StartAsync(int)"/> opens it.
/// </summary>
public sealed class SmtpTestServer : IAsyncDisposable
{
    private readonly CapturingStore _store = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly SmtpServer.SmtpServer _smtp;
    private readonly Task _running;

    private SmtpTestServer(int port)
    {
        Port = port;
        var options = new SmtpServerOptionsBuilder().ServerName("localhost").Port(port).Build();
        var services = new SmtpServer.ComponentModel.ServiceProvider();
        services.Add(_store);
        _smtp = new SmtpServer.SmtpServer(options, services);
        _running = _smtp.StartAsync(_stop.Token);
    }

    public int Port { get; }

    public IReadOnlyList<MimeMessage> Messages => [.. _store.Messages];

    public static Task<SmtpTestServer> StartAsync() => StartAsync(Loopback.FreePort());

    public static async Task<SmtpTestServer> StartAsync(int port)
    {
        var server = new SmtpTestServer(port);
        await Loopback.WaitListeningAsync(port, null, "SMTP server");
        return server;
    }

    /// <summary>The settings that send the server's email here (plain SMTP on loopback).</summary>
    public static void Configure(TestServerOptions options, int port)
    {
        options.Settings["Email:Mode"] = "smtp";
        options.Settings["Email:Smtp:Host"] = "127.0.0.1";
        options.Settings["Email:Smtp:Port"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        options.Settings["Email:Smtp:UseTls"] = "false";
    }

    public IReadOnlyList<MimeMessage> To(string address) =>
        _store.Messages.Where(m => m.To.Mailboxes.Any(a => string.Equals(a.Address, address, StringComparison.OrdinalIgnoreCase))).ToList();

    /// <summary>Waits (up to 15 s: email goes out in the background) for a message to <paramref name="to"/>.</summary>
    public async Task<MimeMessage> WaitForAsync(string to)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (DateTime.UtcNow < deadline)
        {
            if (To(to) is [var found, ..])
            {
                return found;
            }
            await Task.Delay(25);
        }
        throw new TimeoutException($"No message to {to} reached the SMTP server.");
    }

    public async ValueTask DisposeAsync()
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

    private sealed class CapturingStore : MessageStore
    {
        public ConcurrentQueue<MimeMessage> Messages { get; } = new();

        public override Task<SmtpResponse> SaveAsync(
            ISessionContext context, IMessageTransaction transaction, ReadOnlySequence<byte> buffer, CancellationToken cancellationToken)
        {
            using var stream = new MemoryStream(buffer.ToArray());
            Messages.Enqueue(MimeMessage.Load(stream, cancellationToken));
            return Task.FromResult(SmtpResponse.Ok);
        }
    }
}
