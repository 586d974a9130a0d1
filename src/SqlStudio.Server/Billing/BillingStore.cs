using System.Data.Common;
using Dapper;
using SqlStudio.Server.Data;
using Stripe;

namespace SqlStudio.Server.Billing;

/// <summary>SQL for Stripe customers, subscriptions and processed events.</summary>
public static class BillingStore
{
    public static Task<string?> CustomerOfAsync(DbConnection c, DbTransaction? t, string userId) =>
        c.QuerySingleOrDefaultAsync<string?>("SELECT stripe_customer_id FROM stripe_customers WHERE user_id = @userId", new { userId }, t);

    public static Task<string?> UserOfCustomerAsync(DbConnection c, DbTransaction? t, string customerId) =>
        c.QuerySingleOrDefaultAsync<string?>("SELECT user_id FROM stripe_customers WHERE stripe_customer_id = @customerId", new { customerId }, t);

    public static Task SaveCustomerAsync(DbConnection c, DbTransaction t, string userId, string customerId, string now) =>
        c.ExecuteAsync("INSERT INTO stripe_customers (user_id, stripe_customer_id, created_at) VALUES (@userId, @customerId, @now) ON CONFLICT DO NOTHING",
            new { userId, customerId, now }, t);

    /// <summary>
    /// Writes Stripe's view of a subscription, unless what is stored came from a newer Stripe state (an older event
    /// never overwrites newer state). Returns the status before, or "none"; null when the write was skipped as stale.
    /// </summary>
    public static async Task<string?> UpsertSubscriptionAsync(DbConnection c, DbTransaction t, string userId, Subscription subscription, long stateTime, string now)
    {
        var current = await c.QuerySingleOrDefaultAsync<StoredSubscription?>(CurrentSql, new { subscription.Id }, t);
        if (current is { } existing && existing.StripeUpdated > stateTime)
        {
            return null;
        }
        foreach (var statement in Upsert(userId, subscription, current, stateTime, now))
        {
            await statement.RunAsync(c, t);
        }
        return current?.Status ?? "none";
    }

    /// <summary>What is stored of a subscription: enough to tell a stale event and to keep when it became past due.</summary>
    public sealed record StoredSubscription(string Status, long StripeUpdated, string? PastDueSince);

    public const string CurrentSql = "SELECT status, stripe_updated, past_due_since FROM subscriptions WHERE stripe_subscription_id = @Id";

    /// <summary>The statements that store Stripe's view of a subscription (the caller has checked it is not stale).</summary>
    public static SqlStatement[] Upsert(string userId, Subscription subscription, StoredSubscription? current, long stateTime, string now)
    {
        var item = subscription.Items?.Data?.FirstOrDefault();
        var pastDueSince = subscription.Status == "past_due" ? current?.PastDueSince ?? now : null;
        var upsert = new SqlStatement(
            """
            INSERT INTO subscriptions (subscription_id, user_id, stripe_subscription_id, stripe_customer_id, status, price_id, plan_id, trial_end,
                current_period_start, current_period_end, cancel_at_period_end, canceled_at, ended_at, past_due_since, stripe_updated, created_at, updated_at)
            VALUES (@id, @userId, @Id, @customer, @Status, @price, @plan, @trialEnd, @start, @end, @cancel, @canceledAt, @endedAt, @pastDueSince,
                @stateTime, @now, @now)
            ON CONFLICT (stripe_subscription_id) DO UPDATE SET status = excluded.status, price_id = excluded.price_id, plan_id = excluded.plan_id,
                trial_end = excluded.trial_end, current_period_start = excluded.current_period_start, current_period_end = excluded.current_period_end,
                cancel_at_period_end = excluded.cancel_at_period_end, canceled_at = excluded.canceled_at, ended_at = excluded.ended_at,
                past_due_since = excluded.past_due_since, stripe_updated = excluded.stripe_updated, updated_at = excluded.updated_at
            """,
            new
            {
                id = Guid.CreateVersion7().ToString(), userId, subscription.Id, customer = subscription.CustomerId, subscription.Status,
                price = item?.Price?.Id, plan = item?.Price?.Recurring?.Interval is { } interval ? (interval == "year" ? "yearly" : "monthly") : null,
                trialEnd = Time(subscription.TrialEnd), start = Time(item?.CurrentPeriodStart), end = Time(item?.CurrentPeriodEnd),
                cancel = subscription.CancelAtPeriodEnd, canceledAt = Time(subscription.CanceledAt), endedAt = Time(subscription.EndedAt),
                pastDueSince, stateTime, now,
            });
        return subscription.TrialEnd is null
            ? [upsert]
            : [upsert, new SqlStatement("UPDATE users SET trial_started_at = coalesce(trial_started_at, @now) WHERE user_id = @userId", new { userId, now })];
    }

    public static string? Time(DateTime? value) =>
        value is { } v && v > DateTime.UnixEpoch ? StoredTime.Format(new DateTimeOffset(DateTime.SpecifyKind(v, DateTimeKind.Utc))) : null;

    private static string? Time(DateTime value) => Time((DateTime?)value);
}
