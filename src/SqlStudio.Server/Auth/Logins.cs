using SqlStudio.Contracts;
using SqlStudio.Server.Data;

namespace SqlStudio.Server.Auth;

/// <summary>
/// Password sign-in for the API and the pages. Unknown email, wrong password, locked or disabled account all
/// fail the same way and take the same work (a full hash check and an audit write).
/// </summary>
public sealed class Logins(Db db, AccountStore accounts, Passwords passwords, SessionTokens sessions, AccountMail mail, AuthOptions options, TimeProvider time)
{
    public static readonly Failure InvalidCredentials =
        new(401, AuthErrorCodes.InvalidCredentials, "The email or password is not right.");

    /// <summary>Checks email and password; the user when they match and the account may sign in.</summary>
    public async Task<Outcome<UserRow>> CheckAsync(string? email, string? password, ClientInfo client)
    {
        email = EmailAddresses.Normalize(email);
        password ??= "";
        var user = email.Length is > 0 and <= 320 ? await accounts.FindByEmailAsync(email) : null;
        var now = time.GetUtcNow();
        if (user is null)
        {
            passwords.VerifyDummy(password);
            AuthMetrics.Login("unknown_email");
            await RecordFailureAsync(null, email, client, "unknown_email");
            return InvalidCredentials;
        }
        var (ok, needsRehash) = passwords.Verify(user.PasswordHash, password);
        var locked = user.LockedUntil is { } until && StoredTime.Parse(until) > now;
        if (!ok || locked || user.DisabledAt is not null)
        {
            var reason = !ok ? "wrong_password" : locked ? "locked" : "disabled";
            AuthMetrics.Login(reason);
            await RecordFailureAsync(user, email, client, reason);
            return InvalidCredentials;
        }
        if (needsRehash)
        {
            await accounts.UpdateHashAsync(user.UserId, passwords.Hash(password));
        }
        AuthMetrics.Login("ok");
        return user;
    }

    public async Task<Outcome<TokenResponse>> LoginAsync(LoginRequest request, ClientInfo client)
    {
        var checkedUser = await CheckAsync(request.Email, request.Password, client);
        if (checkedUser.Value is not { } user)
        {
            return checkedUser.Failure!;
        }
        // The session, its refresh token and the audit line: one write batch (one round trip on a remote database).
        var (sessionId, pair, statements) = sessions.Open(user, request.RememberMe, client);
        var writes = new SqlBatch();
        foreach (var statement in statements)
        {
            statement.AddTo(writes);
        }
        AccountStore.Audit(new AuditEvent(AuditEvents.LoginSucceeded, user.UserId, client.Ip, client.UserAgent, sessionId),
            StoredTime.Format(time.GetUtcNow())).AddTo(writes);
        await db.WriteBatchAsync(writes);
        return await sessions.TokensAsync(pair!, sessionId, user);
    }

    /// <summary>Audits the failure and locks the account after too many in the window (emailing its owner once).</summary>
    private async Task RecordFailureAsync(UserRow? user, string email, ClientInfo client, string reason)
    {
        var lockedNow = await db.WriteAsync(async (c, t) =>
        {
            var now = time.GetUtcNow();
            await AccountStore.AuditAsync(c, t,
                new AuditEvent(AuditEvents.LoginFailed, user?.UserId, client.Ip, client.UserAgent, Detail: $"{reason}: {Truncate(email, 320)}"),
                StoredTime.Format(now));
            if (user is null || reason is "locked" or "disabled")
            {
                return false;
            }
            var failures = await AccountStore.CountEventsSinceAsync(c, t, user.UserId, AuditEvents.LoginFailed, StoredTime.Format(now - options.LockoutWindow));
            if (failures < options.LockoutFailures)
            {
                return false;
            }
            await AccountStore.LockAsync(c, t, user.UserId, StoredTime.Format(now + options.LockoutDuration));
            await AccountStore.AuditAsync(c, t, new AuditEvent(AuditEvents.AccountLocked, user.UserId, client.Ip, client.UserAgent), StoredTime.Format(now));
            return true;
        });
        if (lockedNow)
        {
            await mail.LockedAsync(user!);
        }
    }

    private static string Truncate(string value, int max) => value.Length > max ? value[..max] : value;
}
