using System.Text.RegularExpressions;
using MimeKit;

namespace SqlStudio.Testing;

/// <summary>The pickup folder the server writes email to, read the way a person reads their inbox.</summary>
public sealed partial class Mailbox(string directory)
{
    /// <summary>
    /// Waits (up to 30 s — email goes out in the background, and the whole suite shares two cores) for the n-th message to
    /// an address; <paramref name="log"/> (a server process's output) goes in the failure, to say why none came.
    /// </summary>
    public async Task<MimeMessage> WaitForAsync(string to, string subjectContains, int count = 1, Func<string>? log = null)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var matches = All(to).Where(m => (m.Subject ?? "").Contains(subjectContains, StringComparison.OrdinalIgnoreCase)).ToList();
            if (matches.Count >= count)
            {
                return matches[count - 1];
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"No email #{count} to {to} about \"{subjectContains}\" (have: {string.Join("; ", All(to).Select(m => m.Subject))})." +
                    (log is null ? "" : $" The server's log:\n{log()}"));
            }
            await Task.Delay(25);
        }
    }

    public IReadOnlyList<MimeMessage> All(string to)
    {
        if (!Directory.Exists(directory))
        {
            return [];
        }
        return Directory.GetFiles(directory, "*.eml").Order()
            .Select(f => MimeMessage.Load(f))
            .Where(m => m.To.Mailboxes.Any(a => string.Equals(a.Address, to, StringComparison.OrdinalIgnoreCase)))
            .ToList();
    }

    /// <summary>The token of the first link to <paramref name="path"/> in the message's text part.</summary>
    public static string TokenFrom(MimeMessage message, string path)
    {
        var match = Regex.Match(message.TextBody ?? "", Regex.Escape(path) + @"\?token=([A-Za-z0-9_\-%]+)");
        if (!match.Success)
        {
            throw new InvalidOperationException($"No {path} link in: {message.TextBody}");
        }
        return Uri.UnescapeDataString(match.Groups[1].Value);
    }

    /// <summary>The first link to <paramref name="path"/> in the message, as sent.</summary>
    public static string LinkFrom(MimeMessage message, string path)
    {
        var match = Regex.Match(message.TextBody ?? "", @"https?://\S+" + Regex.Escape(path) + @"\S*");
        return match.Success ? match.Value : throw new InvalidOperationException($"No {path} link in: {message.TextBody}");
    }
}
