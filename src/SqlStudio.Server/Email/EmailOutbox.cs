using System.Threading.Channels;

namespace SqlStudio.Server.Email;

/// <summary>
/// Sends email in the background, so a request's timing never depends on the mail server (and never tells
/// whether an account exists). Failed deliveries are retried with backoff before they are logged as lost.
/// </summary>
public sealed class EmailOutbox(IEmailSender sender, ILogger<EmailOutbox> logger) : BackgroundService
{
    private const int Attempts = 4;
    private readonly Channel<EmailMessage> _queue = Channel.CreateUnbounded<EmailMessage>(new UnboundedChannelOptions { SingleReader = false });

    public void Enqueue(EmailMessage message) => _queue.Writer.TryWrite(message);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var message in _queue.Reader.ReadAllAsync(stoppingToken))
            {
                await DeliverAsync(message, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down: StopAsync delivers what is left.
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        // Deliver what is already queued before the process goes.
        _queue.Writer.TryComplete();
        while (_queue.Reader.TryRead(out var message))
        {
            await DeliverAsync(message, cancellationToken);
        }
        await base.StopAsync(cancellationToken);
    }

    private async Task DeliverAsync(EmailMessage message, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await sender.SendAsync(message, cancellationToken);
                return;
            }
            catch (Exception ex) when (attempt < Attempts && !cancellationToken.IsCancellationRequested)
            {
                logger.LogWarning(ex, "Email \"{Subject}\" failed (attempt {Attempt}); retrying", message.Subject, attempt);
                await Task.Delay(TimeSpan.FromSeconds(Math.Pow(2, attempt)), cancellationToken);
            }
            catch (Exception ex)
            {
                logger.LogError(ex, "Email \"{Subject}\" could not be delivered", message.Subject);
                return;
            }
        }
    }
}
