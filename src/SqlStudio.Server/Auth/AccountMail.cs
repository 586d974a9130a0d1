using SqlStudio.Server.Email;

namespace SqlStudio.Server.Auth;

/// <summary>The account emails, with links built from <c>App:PublicUrl</c> (never from the request's Host header).</summary>
public sealed class AccountMail(EmailComposer composer, AppOptions app, AuthOptions options)
{
    public Task VerificationAsync(UserRow user, string token) =>
        composer.SendAsync(user.Email, user.Name,
            AccountEmails.VerifyEmail(user.Name, app.Link($"/verify-email?token={Uri.EscapeDataString(token)}"), options.EmailVerificationLifetime));

    public Task ResetAsync(UserRow user, string token) =>
        composer.SendAsync(user.Email, user.Name,
            AccountEmails.ResetPassword(user.Name, app.Link($"/reset-password?token={Uri.EscapeDataString(token)}"), options.PasswordResetLifetime));

    public Task PasswordChangedAsync(UserRow user) =>
        composer.SendAsync(user.Email, user.Name, AccountEmails.PasswordChanged(user.Name, app.Link("/forgot-password")));

    public Task LockedAsync(UserRow user) =>
        composer.SendAsync(user.Email, user.Name, AccountEmails.AccountLocked(user.Name, options.LockoutDuration, app.Link("/forgot-password")));

    public Task SessionRevokedAsync(UserRow user, string reason) =>
        composer.SendAsync(user.Email, user.Name, AccountEmails.SessionsRevoked(user.Name, reason, app.Link("/account")));
}
