using System.Net;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using SqlStudio.Server.Data;
using SqlStudio.Server.Email.Templates;

namespace SqlStudio.Server.Email;

/// <summary>Renders <see cref="EmailContent"/> through the Razor templates into both parts and queues it in the outbox.</summary>
public sealed class EmailComposer(IServiceProvider services, ILoggerFactory loggerFactory, EmailOutbox outbox)
{
    /// <summary>Queues the email on its own, after the change that caused it was committed.</summary>
    public async Task SendAsync(string to, string toName, EmailContent content) =>
        await outbox.EnqueueAsync(await ComposeAsync(to, toName, content));

    /// <summary>
    /// The outbox row of the email, to add to the write batch of the change that causes it (both or neither are kept);
    /// after the commit, <see cref="Sent"/>.
    /// </summary>
    public async Task<SqlStatement> QueueAsync(string to, string toName, EmailContent content, string? messageId = null) =>
        outbox.Queue(await ComposeAsync(to, toName, content), messageId);

    /// <summary>A batch with queued email was committed: send now rather than at the next poll.</summary>
    public void Sent() => outbox.Wake();

    public async Task<EmailMessage> ComposeAsync(string to, string toName, EmailContent content)
    {
        await using var renderer = new HtmlRenderer(services, loggerFactory);
        var parameters = ParameterView.FromDictionary(new Dictionary<string, object?> { [nameof(EmailHtml.Content)] = content });
        var (html, text) = await renderer.Dispatcher.InvokeAsync(async () =>
        {
            var htmlPart = (await renderer.RenderComponentAsync<EmailHtml>(parameters)).ToHtmlString();
            var textPart = (await renderer.RenderComponentAsync<EmailText>(parameters)).ToHtmlString();
            return (htmlPart, textPart);
        });
        var links = content.ActionUrl is { } url ? new[] { url } : [];
        return new EmailMessage(to, toName, content.Subject, html, CleanText(WebUtility.HtmlDecode(text)), links);
    }

    private static string CleanText(string text) => text.Replace("\r\n", "\n").Trim() + "\n";
}

/// <summary>The words of every account email; links always start at <c>App:PublicUrl</c>.</summary>
public static class AccountEmails
{
    public static EmailContent VerifyEmail(string name, string link, TimeSpan lifetime) => new(
        "Confirm your email for SQL Studio Cloud",
        $"Hi {name},",
        ["Thanks for signing up. Confirm this is your email address to turn on sync and billing for your account."],
        "Confirm email address", link,
        $"The link works once and expires in {Describe(lifetime)}. If you did not sign up, ignore this email.");

    public static EmailContent ResetPassword(string name, string link, TimeSpan lifetime) => new(
        "Reset your SQL Studio Cloud password",
        $"Hi {name},",
        ["Someone (hopefully you) asked to reset the password of your SQL Studio Cloud account."],
        "Choose a new password", link,
        $"The link works once and expires in {Describe(lifetime)}. If you did not ask for it, ignore this email: your password stays as it is.");

    public static EmailContent PasswordChanged(string name, string resetLink) => new(
        "Your SQL Studio Cloud password was changed",
        $"Hi {name},",
        ["The password of your SQL Studio Cloud account was just changed, and your other sessions were signed out.",
         "If this was not you, reset your password now and review your sessions on the account page."],
        "Reset password", resetLink);

    public static EmailContent Welcome(string name, string welcomeLink, bool billing) => new(
        "Welcome to SQL Studio Cloud",
        $"Hi {name},",
        [billing
            ? "Your address is confirmed. Start your 14-day free trial of the Individual tier from the welcome checklist or the billing page — no card needed: sync turns on at once, we remind you three days before the trial ends, and if no card has been added by then the trial simply ends (sync pauses, nothing is charged, nothing is deleted)."
            : "Your address is confirmed, and sync is on: connections (never their passwords), query tabs, history, saved queries, AI chats and preferences now follow you between your computers.",
         "Next: sign in from the SQL Studio desktop app (or `sqlstudio login` in a terminal) on each computer you use. The welcome checklist walks you through it."],
        "Open the welcome checklist", welcomeLink);

    public static EmailContent AccountDeleted(string name) => new(
        "Your SQL Studio Cloud account is deleted",
        $"Hi {name},",
        ["Your SQL Studio Cloud account was deleted at your request: your synced connections, tabs, history, saved queries, AI chats and preferences are gone from our servers, every device was signed out, and any subscription was canceled, so you will not be charged again.",
         "What the desktop app keeps on your own computers stays there. If you did not ask for this, reply to this email at once."],
        null, null);

    public static EmailContent AccountLocked(string name, TimeSpan duration, string resetLink) => new(
        "Sign-in to your SQL Studio Cloud account is paused",
        $"Hi {name},",
        [$"There were too many failed attempts to sign in to your account, so password sign-in is paused for {Describe(duration)}.",
         "If this was you, wait and try again, or reset your password. If it was not, someone may be guessing your password: a reset makes it useless to them."],
        "Reset password", resetLink);

    public static EmailContent SessionsRevoked(string name, string reason, string accountLink) => new(
        "We signed out a session of your SQL Studio Cloud account",
        $"Hi {name},",
        [reason, "Sign in again on your devices. If you did not expect this, change your password and review your sessions."],
        "Review your sessions", accountLink);

    public static string Describe(TimeSpan span) => span switch
    {
        { TotalDays: >= 1 } when span.TotalDays % 1 == 0 => span.TotalDays == 1 ? "24 hours" : $"{span.TotalDays:0} days",
        { TotalHours: >= 1 } when span.TotalHours % 1 == 0 => span.TotalHours == 1 ? "1 hour" : $"{span.TotalHours:0} hours",
        _ => $"{Math.Max(1, (int)Math.Round(span.TotalMinutes))} minutes",
    };
}
