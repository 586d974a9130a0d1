using Dapper;
using SqlStudio.Contracts;
using SqlStudio.Server.Data;

namespace SqlStudio.Server.Billing;

/// <summary>Which tier an account has now: the one place push, pull, tokens and pages ask.</summary>
public sealed class TierService(Db db, BillingOptions options, TimeProvider time)
{
    public bool BillingEnabled => options.Enabled;

    public async Task<Entitlement> EntitlementAsync(string userId, bool emailVerified)
    {
        if (!options.Enabled)
        {
            return Entitlements.Evaluate(null, emailVerified, false, time.GetUtcNow(), options);
        }
        var subscription = await LatestAsync(userId);
        return Entitlements.Evaluate(subscription, emailVerified, true, time.GetUtcNow(), options);
    }

    /// <summary>The entitlement from a subscription already read (the request's cached account).</summary>
    public Entitlement Evaluate(SubscriptionRow? subscription, bool emailVerified) =>
        Entitlements.Evaluate(options.Enabled ? subscription : null, emailVerified, options.Enabled, time.GetUtcNow(), options);

    public async Task<string> TierAsync(string userId, bool emailVerified) => (await EntitlementAsync(userId, emailVerified)).Tier;

    public Task<SubscriptionRow?> LatestAsync(string userId) =>
        db.ReadAsync(c => c.QuerySingleOrDefaultAsync<SubscriptionRow>(BillingStore.LatestSql, new { userId }));
}
