using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;

namespace SqlStudio.Server.Email;

/// <summary>Delivers one message. Two implementations: a pickup folder (default) and SMTP through MailKit.</summary>
public interface IEmailSender
{
    Task SendAsync(EmailMessage message, CancellationToken cancellationToken);
}

internal static class Mime
{
    public static MimeMessage Build(EmailOptions options, EmailMessage message)
    {
        var mime = new MimeMessage();
        mime.From.Add(MailboxAddress.Parse(options.From));
        mime.To.Add(new MailboxAddress(message.ToName, message.To));
        mime.Subject = message.Subject;
        mime.Body = new BodyBuilder { TextBody = message.Text, HtmlBody = message.Html }.ToMessageBody();
        return mime;
    }
}

/// <summary>
/// Writes each message as an <c>.eml</c> file, so a fresh checkout works without a mail server. The links are
/// logged too, for a developer following a verification or reset by hand; production uses SMTP.
/// </summary>
public sealed class PickupEmailSender(EmailOptions options, TimeProvider time, ILogger<PickupEmailSender> logger) : IEmailSender
{
    private long _sequence;

    public async Task SendAsync(EmailMessage message, CancellationToken cancellationToken)
    {
        var folder = Path.GetFullPath(options.PickupDirectory);
        Directory.CreateDirectory(folder);
        // Names sort in the order the messages were written (the counter orders those of the same millisecond).
        var name = $"{time.GetUtcNow():yyyyMMdd'T'HHmmssfff}-{Interlocked.Increment(ref _sequence):D8}-{Guid.NewGuid():N}.eml";
        var temp = Path.Combine(folder, name + ".tmp");
        // Owner-only (0600): a message holds a verification or reset link.
        var create = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            create.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        await using (var file = new FileStream(temp, create))
        {
            await Mime.Build(options, message).WriteToAsync(file, cancellationToken);
        }
        // Renamed into place so a reader never sees half a message.
        File.Move(temp, Path.Combine(folder, name));
        // The links are in the file, never in the log: they carry tokens.
        logger.LogInformation("Email \"{Subject}\" written to {File}: open it for its link", message.Subject, Path.GetFullPath(Path.Combine(folder, name)));
    }
}

public sealed class SmtpEmailSender(EmailOptions options) : IEmailSender
{
    public async Task SendAsync(EmailMessage message, CancellationToken cancellationToken)
    {
        var smtp = options.Smtp;
        using var client = new SmtpClient();
        var security = !smtp.UseTls ? SecureSocketOptions.None
            : smtp.Port == 465 ? SecureSocketOptions.SslOnConnect
            : SecureSocketOptions.StartTls;
        await client.ConnectAsync(smtp.Host ?? "localhost", smtp.Port, security, cancellationToken);
        if (!string.IsNullOrEmpty(smtp.Username))
        {
            await client.AuthenticateAsync(smtp.Username, smtp.Password ?? "", cancellationToken);
        }
        await client.SendAsync(Mime.Build(options, message), cancellationToken);
        await client.DisconnectAsync(quit: true, cancellationToken);
    }
}
