using System.Data.Common;
using Dapper;
using SqlStudio.Server.Data;

namespace SqlStudio.Server.Auth;

public sealed record UserRow(
    string UserId, string Email, string? EmailVerifiedAt, string Name, string? PasswordHash, string SecurityStamp,
    string Role, string CreatedAt, string? DisabledAt, string? LockedUntil)
{
    public bool EmailVerified => EmailVerifiedAt is not null;
}

public sealed record AuditRow(string Event, string? Ip, string? UserAgent, string? Detail, string CreatedAt);

/// <summary>SQL for users, their one-time email tokens and the security audit log.</summary>
public sealed class AccountStore(Db db, TimeProvider time)
{
    internal const string UserColumns =
        "user_id, email, email_verified_at, name, password_hash, security_stamp, role, created_at, disabled_at, locked_until";

    /// <summary>The account of an address, as a person reads it (<see cref="EmailAddresses.Normalize"/>).</summary>
    public Task<UserRow?> FindByEmailAsync(string email) =>
        db.ReadAsync(c => c.QuerySingleOrDefaultAsync<UserRow>($"SELECT {UserColumns} FROM users WHERE email = @email",
            new { email = EmailAddresses.Normalize(email) }));

    public Task<UserRow?> FindByIdAsync(string userId) => db.ReadAsync(c => FindByIdAsync(c, null, userId));

    /// <summary>The user, inside a unit of work that has a connection already.</summary>
    public static Task<UserRow?> FindByIdAsync(DbConnection c, DbTransaction? t, string userId) =>
        c.QuerySingleOrDefaultAsync<UserRow>(ByIdSql, new { userId }, t);

    /// <summary>A user by id (@userId).</summary>
    internal const string ByIdSql = $"SELECT {UserColumns} FROM users WHERE user_id = @userId";

    public static Task InsertUserAsync(DbConnection c, DbTransaction t, string userId, string email, string name, string? passwordHash, string now, bool verified) =>
        InsertUser(userId, email, name, passwordHash, now, verified, Secrets.NewToken()).RunAsync(c, t);

    public static SqlStatement InsertUser(string userId, string email, string name, string? passwordHash, string now, bool verified, string stamp) => new(
        """
        INSERT INTO users (user_id, email, email_verified_at, name, password_hash, security_stamp, created_at, updated_at, terms_version)
        VALUES (@userId, @email, @verifiedAt, @name, @passwordHash, @stamp, @now, @now, @terms)
        """,
        // Every way in (the register form, the API, GitHub and Google) shows the terms and privacy notice it accepts.
        new { userId, email, name, passwordHash, now, verifiedAt = verified ? now : null, stamp, terms = Kernel.Legal.Version });

    public static Task SetPasswordAsync(DbConnection c, DbTransaction t, string userId, string passwordHash, string now) =>
        c.ExecuteAsync(
            "UPDATE users SET password_hash = @passwordHash, security_stamp = @stamp, locked_until = NULL, updated_at = @now WHERE user_id = @userId",
            new { userId, passwordHash, now, stamp = Secrets.NewToken() }, t);

    /// <summary>Stores a rehash (same password, new parameters) without touching anything else.</summary>
    public Task UpdateHashAsync(string userId, string passwordHash) =>
        db.WriteAsync((c, t) => c.ExecuteAsync("UPDATE users SET password_hash = @passwordHash WHERE user_id = @userId",
            new { userId, passwordHash }, t));

    public static Task LockAsync(DbConnection c, DbTransaction t, string userId, string until) =>
        c.ExecuteAsync("UPDATE users SET locked_until = @until WHERE user_id = @userId", new { userId, until }, t);

    public static Task<long> CountEventsSinceAsync(DbConnection c, DbTransaction t, string userId, string @event, string since) =>
        c.ExecuteScalarAsync<long>(
            "SELECT count(*) FROM audit_log WHERE user_id = @userId AND event = @event AND created_at >= @since",
            new { userId, @event, since }, t);

    /// <summary>A new one-time token for <paramref name="purpose"/>; older unused ones of that purpose stop working.</summary>
    public static async Task<string> IssueEmailTokenAsync(DbConnection c, DbTransaction t, string userId, string purpose, DateTimeOffset now, TimeSpan lifetime)
    {
        var (token, statements) = IssueEmailToken(userId, purpose, now, lifetime);
        foreach (var statement in statements)
        {
            await statement.RunAsync(c, t);
        }
        return token;
    }

    /// <summary>The token, and the statements that retire older ones of that purpose and store this one.</summary>
    public static (string Token, SqlStatement[] Statements) IssueEmailToken(string userId, string purpose, DateTimeOffset now, TimeSpan lifetime)
    {
        var token = Secrets.NewToken();
        return (token,
        [
            new("UPDATE email_tokens SET used_at = @now WHERE user_id = @userId AND purpose = @purpose AND used_at IS NULL",
                new { userId, purpose, now = StoredTime.Format(now) }),
            new("""
                INSERT INTO email_tokens (token_hash, user_id, purpose, created_at, expires_at)
                VALUES (@hash, @userId, @purpose, @createdAt, @expiresAt)
                """,
                new { hash = Secrets.Hash(token), userId, purpose, createdAt = StoredTime.Format(now), expiresAt = StoredTime.Format(now + lifetime) }),
        ]);
    }

    /// <summary>Spends a token: the user it belongs to, or null when it is unknown, used or expired.</summary>
    public static async Task<string?> ConsumeEmailTokenAsync(DbConnection c, DbTransaction t, string token, string purpose, DateTimeOffset now)
    {
        var at = StoredTime.Format(now);
        return await c.QuerySingleOrDefaultAsync<string>(
            """
            UPDATE email_tokens SET used_at = @at
            WHERE token_hash = @hash AND purpose = @purpose AND used_at IS NULL AND expires_at > @at
            RETURNING user_id
            """,
            new { hash = Secrets.Hash(token), purpose, at }, t);
    }

    public static Task MarkVerifiedAsync(DbConnection c, DbTransaction t, string userId, string now) =>
        c.ExecuteAsync(
            "UPDATE users SET email_verified_at = coalesce(email_verified_at, @now), updated_at = @now WHERE user_id = @userId",
            new { userId, now }, t);

    public static Task AuditAsync(DbConnection c, DbTransaction? t, AuditEvent entry, string now) =>
        Audit(entry, now).RunAsync(c, t);

    public static SqlStatement Audit(AuditEvent entry, string now) => new(
        """
        INSERT INTO audit_log (audit_id, user_id, event, session_id, ip, user_agent, detail, created_at)
        VALUES (@id, @UserId, @Event, @SessionId, @Ip, @UserAgent, @Detail, @now)
        """,
        new { id = Guid.CreateVersion7().ToString(), entry.UserId, entry.Event, entry.SessionId, entry.Ip, entry.UserAgent, entry.Detail, now });

    public Task AuditAsync(AuditEvent entry) =>
        db.WriteAsync((c, t) => AuditAsync(c, t, entry, StoredTime.Format(time.GetUtcNow())));

    public async Task<IReadOnlyList<AuditRow>> RecentEventsAsync(string userId, int limit = 20) =>
        (await db.ReadAsync(c => c.QueryAsync<AuditRow>(
            "SELECT event, ip, user_agent, detail, created_at FROM audit_log WHERE user_id = @userId ORDER BY created_at DESC, audit_id DESC LIMIT @limit",
            new { userId, limit }))).ToList();
}

/// <summary>One security event for the audit log.</summary>
public sealed record AuditEvent(string Event, string? UserId, string? Ip = null, string? UserAgent = null, string? SessionId = null, string? Detail = null);

/// <summary>The audit log's event names.</summary>
public static class AuditEvents
{
    public const string Registered = "registered";
    public const string EmailVerified = "email_verified";
    public const string VerificationSent = "verification_sent";
    public const string LoginSucceeded = "login_succeeded";
    public const string LoginFailed = "login_failed";
    public const string AccountLocked = "account_locked";
    public const string TokenReused = "token_reused";
    public const string PasswordResetRequested = "password_reset_requested";
    public const string PasswordReset = "password_reset";
    public const string PasswordChanged = "password_changed";
    public const string SessionRevoked = "session_revoked";
    public const string Logout = "logout";
    public const string LogoutAll = "logout_all";
}
