using Microsoft.Extensions.Caching.Memory;
using SqlStudio.Server.Data;

namespace SqlStudio.Server.Auth;

/// <summary>
/// Answers "is this session still active?" on every authenticated request, so a revoked session's access token
/// stops working at once rather than at expiry. Answers are cached briefly per instance; revoking through this
/// instance clears the cache entry immediately (other instances notice within <c>Auth:SessionCacheLifetime</c>).
/// </summary>
public sealed class SessionValidator(SessionStore store, IMemoryCache cache, AuthOptions options, TimeProvider time)
{
    private sealed record Entry(bool Revoked, string UserId, DateTimeOffset ExpiresAt, DateTimeOffset LastSeenAt);

    public async Task<bool> IsActiveAsync(string sessionId, string userId)
    {
        var key = Key(sessionId);
        if (!cache.TryGetValue(key, out Entry? entry) || entry is null)
        {
            var row = await store.FindAsync(sessionId);
            if (row is null)
            {
                return false;
            }
            entry = new Entry(row.RevokedAt is not null, row.UserId, Clock.Parse(row.ExpiresAt), Clock.Parse(row.LastSeenAt));
            cache.Set(key, entry, options.SessionCacheLifetime);
        }
        var now = time.GetUtcNow();
        if (entry.Revoked || entry.UserId != userId || entry.ExpiresAt <= now)
        {
            return false;
        }
        if (now - entry.LastSeenAt >= options.SessionTouchInterval)
        {
            cache.Set(key, entry with { LastSeenAt = now }, options.SessionCacheLifetime);
            await store.TouchAsync(sessionId, Clock.Format(now));
        }
        return true;
    }

    public void Forget(IEnumerable<string> sessionIds)
    {
        foreach (var id in sessionIds)
        {
            cache.Remove(Key(id));
        }
    }

    private static string Key(string sessionId) => "session:" + sessionId;
}
