using System.Data.Common;
using System.Text.Json;
using SqlStudio.Contracts;
using SqlStudio.Server.Billing;
using SqlStudio.Server.Data;

namespace SqlStudio.Server.Auth;

/// <summary>
/// Sessions and their tokens: opening one (a row, an access token, a refresh token), rotating the refresh token,
/// detecting reuse, and revoking. Refresh tokens are opaque, stored hashed, and slide (7 days, 30 with
/// remember-me) but never past the session's absolute end (90 days).
/// </summary>
public sealed class SessionTokens(
    Db db, AccessTokens accessTokens, SessionValidator validator, AccountMail mail, AuthRateLimits limits,
    AuthOptions options, TierService tiers, TimeProvider time, Bus.InstanceBus events)
{
    internal sealed record SealedPair(string AccessToken, string RefreshToken, DateTimeOffset AccessExpiresAt, DateTimeOffset RefreshExpiresAt);

    /// <summary>Opens a session inside the caller's transaction. Web sessions (cookie) get no refresh token.</summary>
    public async Task<(string SessionId, TokenResponse? Tokens)> OpenAsync(
        DbConnection c, DbTransaction t, UserRow user, bool rememberMe, ClientInfo client, string kind = "api")
    {
        var (sessionId, pair, statements) = Open(user, rememberMe, client, kind);
        foreach (var statement in statements)
        {
            await statement.RunAsync(c, t);
        }
        return (sessionId, pair is null ? null : await TokensAsync(pair, sessionId, user));
    }

    /// <summary>
    /// A new session as statements (no I/O), so that a login writes it together with its audit line in one batch;
    /// <see cref="TokensAsync"/> turns the pair into the token response once the batch is written.
    /// </summary>
    public (string SessionId, IssuedTokens? Pair, SqlStatement[] Statements) Open(UserRow user, bool rememberMe, ClientInfo client, string kind = "api")
    {
        var now = time.GetUtcNow();
        var sessionId = Guid.CreateVersion7().ToString();
        var refreshExpires = SlidingEnd(now, now, rememberMe);
        // Sessions per account are capped: the least recently used beyond the cap end as this one starts (same batch).
        var cap = SessionStore.EndBeyond(user.UserId, Math.Max(1, options.MaxSessionsPerUser) - 1, StoredTime.Format(now));
        var session = SessionStore.InsertSession(new SessionRow(
            sessionId, user.UserId, kind, Trim(client.DeviceId, 100), Trim(client.DeviceName, 100), Trim(client.Platform, 50),
            Trim(client.UserAgent, 512), client.Ip, rememberMe ? 1 : 0, StoredTime.Format(now), StoredTime.Format(now), StoredTime.Format(refreshExpires), null));
        if (kind != "api")
        {
            return (sessionId, null, [cap, session]);
        }
        var refreshToken = Secrets.NewToken();
        var (access, accessExpires) = accessTokens.Issue(user.UserId, sessionId);
        return (sessionId, new IssuedTokens(new SealedPair(access, refreshToken, accessExpires, refreshExpires), now),
            [cap, session, SessionStore.InsertRefresh(Secrets.Hash(refreshToken), sessionId, StoredTime.Format(now), StoredTime.Format(refreshExpires))]);
    }

    /// <summary>The token response of a session <see cref="Open"/> made, its lifetimes counted from when it was issued.</summary>
    public Task<TokenResponse> TokensAsync(IssuedTokens issued, string sessionId, UserRow user) =>
        ResponseAsync(issued.Pair, sessionId, user, issued.At);

    /// <summary>A new session's token pair, not yet sent: its lifetimes count from <see cref="At"/>.</summary>
    public sealed class IssuedTokens
    {
        internal IssuedTokens(SealedPair pair, DateTimeOffset at) => (Pair, At) = (pair, at);

        internal SealedPair Pair { get; }

        public DateTimeOffset At { get; }
    }

    /// <summary>
    /// Rotates a refresh token: one read batch (the token, its session, its user), the decision in memory, one write
    /// batch guarded by the token still being unspent (two refreshes racing: the loser reads again and gets the
    /// winner's pair back within the grace). A spent token presented later revokes the whole session.
    /// </summary>
    public async Task<Outcome<TokenResponse>> RefreshAsync(string? refreshToken, AccountStore accounts)
    {
        if (string.IsNullOrWhiteSpace(refreshToken) || refreshToken.Length > 200)
        {
            return Invalid();
        }
        var hash = Secrets.Hash(refreshToken);
        for (var attempt = 0; ; attempt++)
        {
            RefreshRow? row = null;
            UserRow? user = null;
            await db.ReadBatchAsync(new SqlBatch()
                .Query<RefreshRow>(SessionStore.RefreshSql, new { tokenHash = hash }, rows => row = rows.FirstOrDefault())
                .Query<UserRow>(SessionStore.UserOfRefreshSql,
                    new { tokenHash = hash }, rows => user = rows.FirstOrDefault()));
            var now = time.GetUtcNow();
            if (row is null || user is null || row.SessionRevokedAt is not null || StoredTime.Parse(row.SessionExpiresAt) <= now)
            {
                return Invalid();
            }
            if (await limits.Refresh(row.SessionId) is { } limited)
            {
                return limited;
            }
            if (row.UsedAt is not null)
            {
                // Two requests racing from one device: the loser gets the winner's pair back, within the grace.
                if (now - StoredTime.Parse(row.UsedAt) <= options.RefreshReuseGrace && row.ReplacementSealed is { } sealedPair &&
                    Secrets.Unseal(refreshToken, sealedPair) is { } json && JsonSerializer.Deserialize<SealedPair>(json) is { } pair)
                {
                    return await ResponseAsync(pair, row.SessionId, user, now);
                }
                // Later, a spent token means it leaked: end the whole session.
                AuthMetrics.ReuseDetected();
                await RevokeAsync(row.UserId, row.SessionId, null, "token_reused", new AuditEvent(AuditEvents.TokenReused, row.UserId, SessionId: row.SessionId));
                await mail.SessionRevokedAsync(user,
                    "A refresh token of one of your sessions was used twice, which happens when a token is copied. We signed that session out.");
                return new Failure(401, AuthErrorCodes.TokenReused,
                    "This refresh token was already used; the session has been signed out for safety. Log in again.");
            }
            if (StoredTime.Parse(row.ExpiresAt) <= now)
            {
                return Invalid();
            }
            var (rotated, statements) = Rotate(row, refreshToken, now);
            var writes = new SqlBatch().Guard(SessionStore.RefreshUnusedSql, new { tokenHash = hash });
            foreach (var statement in statements)
            {
                statement.AddTo(writes);
            }
            try
            {
                await db.WriteBatchAsync(writes);
            }
            catch (WriteConflictException) when (attempt < 3)
            {
                // Another request spent this token first: read again (and answer with its pair, within the grace).
                continue;
            }
            return await ResponseAsync(rotated, row.SessionId, user, now);
        }
    }

    /// <summary>Revokes one session, or all of a user's (except one), clearing the per-request cache at once.</summary>
    public async Task<IReadOnlyList<string>> RevokeAsync(string userId, string? sessionId, string? exceptSessionId, string reason, AuditEvent? audit = null)
    {
        var revoked = await db.WriteAsync(async (c, t) =>
        {
            var now = StoredTime.Format(time.GetUtcNow());
            var ids = await SessionStore.RevokeAsync(c, t, userId, sessionId, exceptSessionId, reason, now);
            if (audit is not null && ids.Count > 0)
            {
                await AccountStore.AuditAsync(c, t, audit, now);
            }
            return ids;
        });
        validator.Forget(revoked);
        await events.SessionsEndedAsync(userId, revoked);
        return revoked;
    }

    /// <summary>The next pair, and the statements that store it, spend the presented token and slide the session.</summary>
    private (SealedPair Pair, SqlStatement[] Statements) Rotate(RefreshRow row, string presented, DateTimeOffset now)
    {
        var refreshExpires = SlidingEnd(now, StoredTime.Parse(row.SessionCreatedAt), row.RememberMe == 1);
        var next = Secrets.NewToken();
        var (access, accessExpires) = accessTokens.Issue(row.UserId, row.SessionId);
        var pair = new SealedPair(access, next, accessExpires, refreshExpires);
        return (pair,
        [
            SessionStore.InsertRefresh(Secrets.Hash(next), row.SessionId, StoredTime.Format(now), StoredTime.Format(refreshExpires)),
            SessionStore.MarkRotated(row.TokenHash, StoredTime.Format(now), Secrets.Hash(next), Secrets.Seal(presented, JsonSerializer.Serialize(pair))),
            SessionStore.Extend(row.SessionId, StoredTime.Format(now), StoredTime.Format(refreshExpires)),
        ]);
    }

    private DateTimeOffset SlidingEnd(DateTimeOffset now, DateTimeOffset sessionCreated, bool rememberMe)
    {
        var sliding = now + (rememberMe ? options.RememberMeLifetime : options.RefreshTokenLifetime);
        var absolute = sessionCreated + options.SessionAbsoluteLifetime;
        return sliding < absolute ? sliding : absolute;
    }

    private async Task<TokenResponse> ResponseAsync(SealedPair pair, string sessionId, UserRow user, DateTimeOffset now) => new(
        pair.AccessToken, pair.RefreshToken, "Bearer",
        Seconds(pair.AccessExpiresAt - now), Seconds(pair.RefreshExpiresAt - now), sessionId,
        new UserSummary(user.UserId, user.Email, user.Name, user.EmailVerified, await tiers.TierAsync(user.UserId, user.EmailVerified)));

    private static int Seconds(TimeSpan span) => Math.Max(0, (int)span.TotalSeconds);

    private static Failure Invalid() =>
        new(401, AuthErrorCodes.TokenInvalid, "The refresh token is unknown, expired or its session has ended. Log in again.");

    private static string? Trim(string? value, int max) =>
        string.IsNullOrWhiteSpace(value) ? null : value.Trim() is var v && v.Length > max ? v[..max] : value.Trim();
}
