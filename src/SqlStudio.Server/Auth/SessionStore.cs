using System.Data.Common;
using Dapper;
using SqlStudio.Server.Data;

namespace SqlStudio.Server.Auth;

/// <summary>Where a session was opened from: kept on the session row and shown on the account page.</summary>
public sealed record ClientInfo(string? Ip, string? UserAgent, string? DeviceId = null, string? DeviceName = null, string? Platform = null);

public sealed record SessionRow(
    string SessionId, string UserId, string Kind, string? DeviceId, string? DeviceName, string? Platform, string? UserAgent,
    string? Ip, long RememberMe, string CreatedAt, string LastSeenAt, string ExpiresAt, string? RevokedAt);

public sealed record RefreshRow(
    string TokenHash, string SessionId, string UserId, string IssuedAt, string ExpiresAt, string? UsedAt, string? ReplacementSealed,
    long RememberMe, string SessionCreatedAt, string SessionExpiresAt, string? SessionRevokedAt);

/// <summary>SQL for sessions and their rotating refresh tokens.</summary>
public sealed class SessionStore(Db db)
{
    internal const string SessionColumns =
        "session_id, user_id, kind, device_id, device_name, platform, user_agent, ip, remember_me, created_at, last_seen_at, expires_at, revoked_at";

    public static SqlStatement InsertSession(SessionRow s) => new(
        """
        INSERT INTO sessions (session_id, user_id, kind, device_id, device_name, platform, user_agent, ip, remember_me,
                              created_at, last_seen_at, expires_at)
        VALUES (@SessionId, @UserId, @Kind, @DeviceId, @DeviceName, @Platform, @UserAgent, @Ip, @RememberMe,
                @CreatedAt, @LastSeenAt, @ExpiresAt)
        """, s);

    public static SqlStatement InsertRefresh(string tokenHash, string sessionId, string issuedAt, string expiresAt) => new(
        "INSERT INTO refresh_tokens (token_hash, session_id, issued_at, expires_at) VALUES (@tokenHash, @sessionId, @issuedAt, @expiresAt)",
        new { tokenHash, sessionId, issuedAt, expiresAt });

    internal const string RefreshSql =
        """
        SELECT r.token_hash, r.session_id, s.user_id, r.issued_at, r.expires_at, r.used_at, r.replacement_sealed,
               s.remember_me, s.created_at AS session_created_at, s.expires_at AS session_expires_at,
               s.revoked_at AS session_revoked_at
        FROM refresh_tokens r JOIN sessions s ON s.session_id = r.session_id
        WHERE r.token_hash = @tokenHash
        """;

    /// <summary>The account a refresh token (@tokenHash) belongs to.</summary>
    internal const string UserOfRefreshSql =
        $"""
        SELECT {AccountStore.UserColumns} FROM users
        WHERE user_id = (SELECT s.user_id FROM refresh_tokens r JOIN sessions s ON s.session_id = r.session_id WHERE r.token_hash = @tokenHash)
        """;

    /// <summary>The guard of a rotation: the refresh token (@tokenHash) has not been used meanwhile.</summary>
    internal const string RefreshUnusedSql = "SELECT used_at IS NULL FROM refresh_tokens WHERE token_hash = @tokenHash";

    public static SqlStatement MarkRotated(string tokenHash, string usedAt, string replacedBy, string sealedPair) => new(
        "UPDATE refresh_tokens SET used_at = @usedAt, replaced_by = @replacedBy, replacement_sealed = @sealedPair WHERE token_hash = @tokenHash",
        new { tokenHash, usedAt, replacedBy, sealedPair });

    public static SqlStatement Extend(string sessionId, string now, string expiresAt) => new(
        "UPDATE sessions SET last_seen_at = @now, expires_at = @expiresAt WHERE session_id = @sessionId",
        new { sessionId, now, expiresAt });

    /// <summary>Revokes the sessions that match and returns their ids (already revoked ones are left alone).</summary>
    public static async Task<IReadOnlyList<string>> RevokeAsync(
        DbConnection c, DbTransaction t, string userId, string? sessionId, string? exceptSessionId, string reason, string now)
    {
        var ids = await c.QueryAsync<string>(
            """
            UPDATE sessions SET revoked_at = @now, revoke_reason = @reason
            WHERE user_id = @userId AND revoked_at IS NULL
              AND (@sessionId IS NULL OR session_id = @sessionId)
              AND (@exceptSessionId IS NULL OR session_id <> @exceptSessionId)
            RETURNING session_id
            """, new { userId, sessionId, exceptSessionId, reason, now }, t);
        return ids.ToList();
    }

    /// <summary>A page of the active sessions, most recently used first, and how many there are in all.</summary>
    public async Task<(IReadOnlyList<SessionRow> Page, long Total)> ListActiveAsync(string userId, DateTimeOffset now, int limit = 50, int offset = 0)
    {
        List<SessionRow> page = [];
        long total = 0;
        await db.ReadBatchAsync(new SqlBatch()
            .Query<SessionRow>(
                $"""
                 SELECT {SessionColumns} FROM sessions WHERE user_id = @userId AND revoked_at IS NULL AND expires_at > @now
                 ORDER BY last_seen_at DESC, session_id LIMIT @limit OFFSET @offset
                 """, new { userId, now = StoredTime.Format(now), limit, offset }, rows => page = rows)
            .Query<long>("SELECT count(*) FROM sessions WHERE user_id = @userId AND revoked_at IS NULL AND expires_at > @now",
                new { userId, now = StoredTime.Format(now) }, rows => total = rows.FirstOrDefault()));
        return (page, total);
    }

    /// <summary>Ends the account's active sessions beyond the <paramref name="keep"/> most recently used (for the session cap).</summary>
    public static SqlStatement EndBeyond(string userId, int keep, string now) => new(
        """
        UPDATE sessions SET revoked_at = @now, revoke_reason = 'session_limit'
        WHERE session_id IN (
            SELECT session_id FROM sessions WHERE user_id = @userId AND revoked_at IS NULL AND expires_at > @now
            ORDER BY last_seen_at DESC, created_at DESC LIMIT -1 OFFSET @keep)
        """, new { userId, keep, now });

    /// <summary>A session by its id (@sessionId).</summary>
    internal const string ByIdSql = $"SELECT {SessionColumns} FROM sessions WHERE session_id = @sessionId";

    public Task<SessionRow?> FindAsync(string sessionId) =>
        db.ReadAsync(c => c.QuerySingleOrDefaultAsync<SessionRow>(ByIdSql, new { sessionId }));

    public Task TouchAsync(string sessionId, string now) =>
        db.WriteAsync((c, t) => c.ExecuteAsync("UPDATE sessions SET last_seen_at = @now WHERE session_id = @sessionId AND revoked_at IS NULL",
            new { sessionId, now }, t));
}
