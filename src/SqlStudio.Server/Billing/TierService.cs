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

    /// <summary>
    /// Which of an account's subscriptions decides its plan: one that is being paid for (active or trialing) over one in
    /// arrears, over one that ended; among equals, the newest Stripe state. Never simply the row written last: a late
    /// <c>customer.subscription.deleted</c> of an old subscription must not hide the new one that is active.
    /// </summary>
    internal const string CurrentOrder =
        "CASE status WHEN 'active' THEN 0 WHEN 'trialing' THEN 0 WHEN 'past_due' THEN 1 ELSE 2 END, stripe_updated DESC, updated_at DESC";

    internal const string LatestSql =
        $"""
        SELECT subscription_id, user_id, stripe_subscription_id, stripe_customer_id, status, price_id, plan_id, trial_end,
               current_period_start, current_period_end, cancel_at_period_end, canceled_at, ended_at, past_due_since, stripe_updated, updated_at
        FROM subscriptions WHERE user_id = @userId ORDER BY {CurrentOrder} LIMIT 1
        """;

    /// <summary>Each account's deciding subscription (<see cref="CurrentOrder"/>), for figures over all accounts.</summary>
    internal const string CurrentPerUserSql =
        "SELECT * FROM (SELECT s.*, row_number() OVER (PARTITION BY user_id ORDER BY " + CurrentOrder + ") AS rank FROM subscriptions s) WHERE rank = 1";

    public async Task<string> TierAsync(string userId, bool emailVerified) => (await EntitlementAsync(userId, emailVerified)).Tier;

    public Task<SubscriptionRow?> LatestAsync(string userId) =>
        db.ReadAsync(c => c.QuerySingleOrDefaultAsync<SubscriptionRow>(LatestSql, new { userId }));
}
