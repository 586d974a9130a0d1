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
    AuthOptions options, TierService tiers, TimeProvider time, SqlStudio.Server.Sync.SyncEventHub events)
{
    private sealed record SealedPair(string AccessToken, string RefreshToken, DateTimeOffset AccessExpiresAt, DateTimeOffset RefreshExpiresAt);

    /// <summary>Opens a session inside the caller's transaction. Web sessions (cookie) get no refresh token.</summary>
    public async Task<(string SessionId, TokenResponse? Tokens)> OpenAsync(
        DbConnection c, DbTransaction t, UserRow user, bool rememberMe, ClientInfo client, string kind = "api")
    {
        var now = time.GetUtcNow();
        var sessionId = Guid.CreateVersion7().ToString();
        var refreshExpires = SlidingEnd(now, now, rememberMe);
        await SessionStore.InsertSessionAsync(c, t, new SessionRow(
            sessionId, user.UserId, kind, Trim(client.DeviceId, 100), Trim(client.DeviceName, 100), Trim(client.Platform, 50),
            Trim(client.UserAgent, 512), client.Ip, rememberMe ? 1 : 0, Clock.Format(now), Clock.Format(now), Clock.Format(refreshExpires), null));
        if (kind != "api")
        {
            return (sessionId, null);
        }
        var refreshToken = Secrets.NewToken();
        await SessionStore.InsertRefreshAsync(c, t, Secrets.Hash(refreshToken), sessionId, Clock.Format(now), Clock.Format(refreshExpires));
        var (access, accessExpires) = accessTokens.Issue(user.UserId, sessionId);
        return (sessionId, await ResponseAsync(new SealedPair(access, refreshToken, accessExpires, refreshExpires), sessionId, user, now));
    }

    public async Task<Outcome<TokenResponse>> RefreshAsync(string? refreshToken, AccountStore accounts)
    {
        if (string.IsNullOrWhiteSpace(refreshToken) || refreshToken.Length > 200)
        {
            return Invalid();
        }
        var hash = Secrets.Hash(refreshToken);
        var outcome = await db.WriteAsync<(Outcome<SealedPair> Result, RefreshRow? Row, bool Reused)>(async (c, t) =>
        {
            var now = time.GetUtcNow();
            var row = await SessionStore.FindRefreshAsync(c, t, hash);
            if (row is null || row.SessionRevokedAt is not null || Clock.Parse(row.SessionExpiresAt) <= now)
            {
                return (Invalid(), row, false);
            }
            if (limits.Refresh(row.SessionId) is { } limited)
            {
                return (limited, row, false);
            }
            if (row.UsedAt is not null)
            {
                // Two requests racing from one device: the loser gets the winner's pair back, within the grace.
                if (now - Clock.Parse(row.UsedAt) <= options.RefreshReuseGrace && row.ReplacementSealed is { } sealedPair &&
                    Secrets.Unseal(refreshToken, sealedPair) is { } json && JsonSerializer.Deserialize<SealedPair>(json) is { } pair)
                {
                    return (pair, row, false);
                }
                // Later, a spent token means it leaked: end the whole session.
                var revoked = await SessionStore.RevokeAsync(c, t, row.UserId, row.SessionId, null, "token_reused", Clock.Format(now));
                validator.Forget(revoked);
                await AccountStore.AuditAsync(c, t, new AuditEvent(AuditEvents.TokenReused, row.UserId, SessionId: row.SessionId), Clock.Format(now));
                return (new Failure(401, AuthErrorCodes.TokenReused,
                    "This refresh token was already used; the session has been signed out for safety. Log in again."), row, true);
            }
            if (Clock.Parse(row.ExpiresAt) <= now)
            {
                return (Invalid(), row, false);
            }
            return (await RotateAsync(c, t, row, refreshToken, now), row, false);
        });

        if (outcome.Row is not { } session || outcome.Result.Value is not { } rotated)
        {
            if (outcome.Reused)
            {
                await events.SessionsEndedAsync(outcome.Row!.UserId, [outcome.Row.SessionId]);
            }
            if (outcome.Reused && await accounts.FindByIdAsync(outcome.Row!.UserId) is { } owner)
            {
                await mail.SessionRevokedAsync(owner,
                    "A refresh token of one of your sessions was used twice, which happens when a token is copied. We signed that session out.");
            }
            return outcome.Result.Failure!;
        }
        var user = await accounts.FindByIdAsync(session.UserId);
        return user is null ? Invalid() : await ResponseAsync(rotated, session.SessionId, user, time.GetUtcNow());
    }

    /// <summary>Revokes one session, or all of a user's (except one), clearing the per-request cache at once.</summary>
    public async Task<IReadOnlyList<string>> RevokeAsync(string userId, string? sessionId, string? exceptSessionId, string reason, AuditEvent? audit = null)
    {
        var revoked = await db.WriteAsync(async (c, t) =>
        {
            var now = Clock.Format(time.GetUtcNow());
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

    private async Task<Outcome<SealedPair>> RotateAsync(DbConnection c, DbTransaction t, RefreshRow row, string presented, DateTimeOffset now)
    {
        var refreshExpires = SlidingEnd(now, Clock.Parse(row.SessionCreatedAt), row.RememberMe == 1);
        var next = Secrets.NewToken();
        var (access, accessExpires) = accessTokens.Issue(row.UserId, row.SessionId);
        var pair = new SealedPair(access, next, accessExpires, refreshExpires);
        await SessionStore.InsertRefreshAsync(c, t, Secrets.Hash(next), row.SessionId, Clock.Format(now), Clock.Format(refreshExpires));
        await SessionStore.MarkRotatedAsync(c, t, row.TokenHash, Clock.Format(now), Secrets.Hash(next),
            Secrets.Seal(presented, JsonSerializer.Serialize(pair)));
        await SessionStore.ExtendAsync(c, t, row.SessionId, Clock.Format(now), Clock.Format(refreshExpires));
        return pair;
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
