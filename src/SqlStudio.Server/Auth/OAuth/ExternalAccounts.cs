using System.Security.Cryptography;
using System.Text;
using Dapper;
using Microsoft.AspNetCore.WebUtilities;
using SqlStudio.Contracts;
using SqlStudio.Server.Data;
using SqlStudio.Server.Email;

namespace SqlStudio.Server.Auth.OAuth;

public sealed record LinkedLogin(string Provider, string? Email, string CreatedAt);

/// <summary>
/// Maps a provider's identity to an account: a known external login signs in its user; a provider-verified
/// email equal to an existing account's links to it (and tells the owner); an unverified one never links nor
/// signs in; otherwise a new account is created, without a password. Also the desktop flow's one-time codes.
/// </summary>
public sealed class ExternalAccounts(Db db, AccountStore accounts, SessionTokens sessions, EmailComposer email, AppOptions app, Beta.BetaOptions beta, TimeProvider time,
    SessionValidator validator)
{
    public static readonly TimeSpan CodeLifetime = TimeSpan.FromSeconds(60);

    public async Task<Outcome<UserRow>> ResolveAsync(ExternalIdentity identity, ClientInfo client)
    {
        var linked = await db.ReadAsync(c => ExternalLoginStore.UserOfAsync(c, identity.Provider, identity.ProviderUserId));
        if (linked is not null)
        {
            return await accounts.FindByIdAsync(linked) is { DisabledAt: null } known ? known : Refused("This account is disabled.");
        }
        var address = identity.Email is null ? null : EmailAddresses.Normalize(identity.Email);
        if (string.IsNullOrEmpty(address) || Accounts.EmailProblem(address) is not null)
        {
            return Refused($"{Display(identity.Provider)} did not share an email address with us. Make one visible there, or sign up with email.");
        }
        if (await accounts.FindByEmailAsync(address) is { } existing)
        {
            if (!identity.EmailVerified)
            {
                // Anyone can put any unverified address on a provider account: it proves nothing.
                return Refused($"The email on your {Display(identity.Provider)} account is not verified there, so we cannot connect it to " +
                               "your SQL Studio account. Log in with your password, or verify the address at the provider first.");
            }
            await LinkAsync(existing.UserId, identity, client, markVerified: true);
            await email.SendAsync(existing.Email, existing.Name, new EmailContent(
                $"{Display(identity.Provider)} sign-in was added to your SQL Studio Cloud account",
                $"Hi {existing.Name},",
                [$"Your {Display(identity.Provider)} account ({address}) can now sign you in to SQL Studio Cloud, because it has the same verified email address.",
                 "If this was not you, remove it on your account page and change your password."],
                "Review your account", app.Link("/account")));
            return (await accounts.FindByIdAsync(existing.UserId))!;
        }
        if (beta.InviteOnly)
        {
            // A new account through GitHub or Google is no way around the invite: invited people register with their link.
            return Refused("SQL Studio Cloud is invite-only during the beta. Join the waitlist on the home page, or register with the link in your invite email.");
        }
        return await CreateAsync(identity, address, client);
    }

    public async Task<IReadOnlyList<LinkedLogin>> LinkedAsync(string userId) =>
        await db.ReadAsync(c => ExternalLoginStore.LinkedAsync(c, userId));

    /// <summary>Removes a provider while another way to sign in (a password or another provider) remains.</summary>
    public async Task<Failure?> UnlinkAsync(string userId, string provider)
    {
        return await db.WriteAsync<Failure?>(async (c, t) =>
        {
            if (!await ExternalLoginStore.HasAnotherWayInAsync(c, t, userId, provider))
            {
                return new Failure(409, AuthErrorCodes.LastSignInMethod,
                    $"{Display(provider)} is your only way to sign in. Set a password (Forgot password sends a link) or link another provider first.");
            }
            var removed = await ExternalLoginStore.UnlinkAsync(c, t, userId, provider);
            if (removed == 0)
            {
                return new Failure(404, ErrorCodes.NotFound, "That provider is not linked.");
            }
            await AccountStore.AuditAsync(c, t, new AuditEvent("external_login_removed", userId, Detail: provider), StoredTime.Format(time.GetUtcNow()));
            return null;
        });
    }

    /// <summary>A one-time code for the desktop app, bound to its PKCE challenge and loopback address.</summary>
    public async Task<string> IssueCodeAsync(string userId, string provider, string codeChallenge, string redirectUri)
    {
        var code = Secrets.NewToken();
        var now = time.GetUtcNow();
        await db.WriteAsync((c, t) => ExternalLoginStore.SaveCodeAsync(c, t, Secrets.Hash(code), userId, provider, codeChallenge, redirectUri,
            StoredTime.Format(now), StoredTime.Format(now + CodeLifetime)));
        return code;
    }

    /// <summary>Spends a code (whatever the outcome, so a wrong verifier cannot be retried) and opens a session.</summary>
    public async Task<Outcome<TokenResponse>> ExchangeAsync(string? code, string? verifier, ClientInfo client)
    {
        var invalid = new Failure(400, AuthErrorCodes.TokenInvalid, "The sign-in code is unknown, used, expired, or does not match the verifier. Sign in again.");
        if (string.IsNullOrWhiteSpace(code) || string.IsNullOrWhiteSpace(verifier) || code.Length > 200 || verifier.Length is < 43 or > 128)
        {
            return invalid;
        }
        var result = await db.WriteAsync<TokenResponse?>(async (c, t) =>
        {
            var now = time.GetUtcNow();
            var row = await ExternalLoginStore.SpendCodeAsync(c, t, Secrets.Hash(code), StoredTime.Format(now));
            if (row.UserId is null || !Secrets.FixedTimeEquals(Challenge(verifier), row.CodeChallenge))
            {
                return null;
            }
            var user = (await AccountStore.FindByIdAsync(c, t, row.UserId))!;
            var (sessionId, tokens) = await sessions.OpenAsync(c, t, user, rememberMe: true, client with { Platform = client.Platform ?? "desktop" });
            await AccountStore.AuditAsync(c, t, new AuditEvent(AuditEvents.LoginSucceeded, user.UserId, client.Ip, client.UserAgent, sessionId, $"{row.Provider} (desktop)"),
                StoredTime.Format(now));
            return tokens;
        });
        return result is null ? invalid : result;
    }

    /// <summary>The S256 code challenge of a verifier: BASE64URL(SHA256(ASCII(verifier))).</summary>
    public static string Challenge(string verifier) =>
        WebEncoders.Base64UrlEncode(SHA256.HashData(Encoding.ASCII.GetBytes(verifier)));

    public static string Display(string provider) => provider switch
    {
        "github" => "GitHub",
        "google" => "Google",
        _ => provider,
    };

    private async Task<UserRow> CreateAsync(ExternalIdentity identity, string address, ClientInfo client)
    {
        var userId = Guid.CreateVersion7().ToString();
        var name = string.IsNullOrWhiteSpace(identity.Name) ? address.Split('@')[0] : identity.Name.Trim();
        await db.WriteAsync(async (c, t) =>
        {
            var now = StoredTime.Format(time.GetUtcNow());
            await AccountStore.InsertUserAsync(c, t, userId, address, name.Length > 100 ? name[..100] : name, passwordHash: null, now, identity.EmailVerified);
            await AccountStore.AuditAsync(c, t, new AuditEvent(AuditEvents.Registered, userId, client.Ip, client.UserAgent, Detail: identity.Provider), now);
            await ExternalLoginStore.LinkAsync(c, t, userId, identity, now);
        });
        return (await accounts.FindByIdAsync(userId))!;
    }

    private async Task LinkAsync(string userId, ExternalIdentity identity, ClientInfo client, bool markVerified)
    {
        await db.WriteAsync(async (c, t) =>
        {
            var now = StoredTime.Format(time.GetUtcNow());
            await ExternalLoginStore.LinkAsync(c, t, userId, identity, now);
            if (markVerified)
            {
                await AccountStore.MarkVerifiedAsync(c, t, userId, now);
            }
            await AccountStore.AuditAsync(c, t, new AuditEvent("external_login_added", userId, client.Ip, client.UserAgent, Detail: identity.Provider), now);
        });
        validator.ForgetAccount(userId);
    }

    private static Failure Refused(string detail) => new(403, AuthErrorCodes.ExternalLoginRefused, detail);
}
