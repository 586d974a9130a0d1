using SqlStudio.Server.Data;
using SqlStudio.Server.Email;

namespace SqlStudio.Server.Auth;

/// <summary>The account emails, with links built from <c>App:PublicUrl</c> (never from the request's Host header).</summary>
public sealed class AccountMail(EmailComposer composer, AppOptions app, AuthOptions options, Billing.BillingOptions billing)
{
    /// <summary>The verification email's outbox row, for the batch that stores its token (both or neither are kept).</summary>
    public Task<SqlStatement> VerificationAsync(string email, string name, string token, string? messageId = null) =>
        composer.QueueAsync(email, name,
            AccountEmails.VerifyEmail(name, app.Link($"/verify-email?token={Uri.EscapeDataString(token)}"), options.EmailVerificationLifetime), messageId);

    /// <summary>The reset email's outbox row, for the batch that stores its token.</summary>
    public Task<SqlStatement> ResetAsync(string email, string name, string token, string? messageId = null) =>
        composer.QueueAsync(email, name,
            AccountEmails.ResetPassword(name, app.Link($"/reset-password?token={Uri.EscapeDataString(token)}"), options.PasswordResetLifetime), messageId);

    /// <summary>A batch holding one of these rows was committed: send it now.</summary>
    public void Committed() => composer.Sent();

    /// <summary>After the address is confirmed: what to do next, with the welcome checklist.</summary>
    public Task WelcomeAsync(UserRow user) =>
        composer.SendAsync(user.Email, user.Name, AccountEmails.Welcome(user.Name, app.Link("/welcome"), billing.Enabled));

    public Task PasswordChangedAsync(UserRow user) =>
        composer.SendAsync(user.Email, user.Name, AccountEmails.PasswordChanged(user.Name, app.Link("/forgot-password")));

    public Task LockedAsync(UserRow user) =>
        composer.SendAsync(user.Email, user.Name, AccountEmails.AccountLocked(user.Name, options.LockoutDuration, app.Link("/forgot-password")));

    public Task SessionRevokedAsync(UserRow user, string reason) =>
        composer.SendAsync(user.Email, user.Name, AccountEmails.SessionsRevoked(user.Name, reason, app.Link("/account")));
}
