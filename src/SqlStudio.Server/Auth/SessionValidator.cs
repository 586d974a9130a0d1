using Microsoft.Extensions.Caching.Memory;
using SqlStudio.Server.Billing;
using SqlStudio.Server.Data;

namespace SqlStudio.Server.Auth;

/// <summary>
/// Answers "is this session still active?" on every authenticated request, so a revoked session's access token
/// stops working at once rather than at expiry; and "who is this and what may they do?" (the account and its latest
/// subscription) for the filters that need it. Both are read together, in one round trip, and cached briefly per
/// instance: a revocation clears the entry at once here and, through the sync event hub's Redis channel, on every other
/// instance (without Redis, they notice within <c>Auth:SessionCacheLifetime</c>); and a change to the account or its subscription (<see cref="ForgetAccount"/>)
/// makes the next request read it again.
/// </summary>
public sealed class SessionValidator
{
    private readonly Db db;
    private readonly SessionStore store;
    private readonly IMemoryCache cache;
    private readonly AuthOptions options;
    private readonly TimeProvider time;
    private readonly Bus.InstanceBus hub;

    public SessionValidator(Db db, SessionStore store, IMemoryCache cache, AuthOptions options, TimeProvider time, Bus.InstanceBus hub)
    {
        this.db = db;
        this.store = store;
        this.cache = cache;
        this.options = options;
        this.time = time;
        this.hub = hub;
        // Revocations and account changes made on other instances arrive over Redis (Notifications:Redis): within a
        // moment, not after Auth:SessionCacheLifetime.
        hub.SessionsEnded += (_, sessionIds) => Forget(sessionIds);
        hub.AccountChanged += ForgetAccountHere;
    }

    private sealed record Entry(bool Revoked, string UserId, DateTimeOffset ExpiresAt, DateTimeOffset LastSeenAt, UserRow? User,
        SubscriptionRow? Subscription, long Generation);

    public async Task<bool> IsActiveAsync(string sessionId, string userId) => await ActiveEntryAsync(sessionId, userId) is not null;

    /// <summary>The account of an active session and its latest subscription; null when the session has ended.</summary>
    public async Task<(UserRow User, SubscriptionRow? Subscription)?> AccountAsync(string sessionId, string userId) =>
        await ActiveEntryAsync(sessionId, userId) is { User: { } user } entry ? (user, entry.Subscription) : null;

    private async Task<Entry?> ActiveEntryAsync(string sessionId, string userId)
    {
        var key = Key(sessionId);
        var generation = Generation(userId);
        if (!cache.TryGetValue(key, out Entry? entry) || entry is null || entry.Generation != generation)
        {
            entry = await LoadAsync(sessionId, userId, generation);
            if (entry is null)
            {
                return null;
            }
            cache.Set(key, entry, options.SessionCacheLifetime);
        }
        var now = time.GetUtcNow();
        if (entry.Revoked || entry.UserId != userId || entry.ExpiresAt <= now)
        {
            return null;
        }
        if (now - entry.LastSeenAt >= options.SessionTouchInterval)
        {
            entry = entry with { LastSeenAt = now };
            cache.Set(key, entry, options.SessionCacheLifetime);
            await store.TouchAsync(sessionId, StoredTime.Format(now));
        }
        return entry;
    }

    private async Task<Entry?> LoadAsync(string sessionId, string userId, long generation)
    {
        SessionRow? session = null;
        UserRow? user = null;
        SubscriptionRow? subscription = null;
        var reads = new SqlBatch()
            .Query<SessionRow>(SessionStore.ByIdSql, new { sessionId },
                rows => session = rows.FirstOrDefault())
            .Query<UserRow>(AccountStore.ByIdSql, new { userId }, rows => user = rows.FirstOrDefault())
            .Query<SubscriptionRow>(BillingStore.LatestSql, new { userId }, rows => subscription = rows.FirstOrDefault());
        await db.ReadBatchAsync(reads);
        return session is null
            ? null
            : new Entry(session.RevokedAt is not null || user is null, session.UserId, StoredTime.Parse(session.ExpiresAt), StoredTime.Parse(session.LastSeenAt),
                user, subscription, generation);
    }

    public void Forget(IEnumerable<string> sessionIds)
    {
        foreach (var id in sessionIds)
        {
            cache.Remove(Key(id));
        }
    }

    /// <summary>The account or its subscription changed: every cached session of this user reads it again, on every instance.</summary>
    public void ForgetAccount(string userId)
    {
        ForgetAccountHere(userId);
        // Other instances hear it through the hub (failures are logged there; the cache lifetime is the fallback).
        _ = hub.AccountChangedAsync(userId);
    }

    private void ForgetAccountHere(string userId) =>
        cache.Set(GenerationKey(userId), Generation(userId) + 1, new MemoryCacheEntryOptions { SlidingExpiration = TimeSpan.FromHours(1) });

    private long Generation(string userId) => cache.TryGetValue(GenerationKey(userId), out long generation) ? generation : 0;

    private static string Key(string sessionId) => "session:" + sessionId;

    private static string GenerationKey(string userId) => "account-generation:" + userId;
}
