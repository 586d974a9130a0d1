using System.Data.Common;
using Dapper;
using SqlStudio.Server.Data;
using Stripe;

namespace SqlStudio.Server.Billing;

/// <summary>SQL for Stripe customers, subscriptions and processed events.</summary>
public static class BillingStore
{
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

    /// <summary>How many accounts each subscription status decides (the billing gauges).</summary>
    internal const string StatusCountsSql = $"SELECT status, count(*) FROM ({CurrentPerUserSql}) GROUP BY status";

    /// <summary>One trial per person: whether the account ever started a trial or had any subscription.</summary>
    public static async Task<bool> HadTrialOrSubscriptionAsync(DbConnection c, string userId) =>
        await c.ExecuteScalarAsync<long>(
            """
            SELECT (SELECT count(*) FROM users WHERE user_id = @userId AND trial_started_at IS NOT NULL)
                 + (SELECT count(*) FROM subscriptions WHERE user_id = @userId)
            """, new { userId }) > 0;

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

    // What a webhook reads before it decides, and writes after: statements added to its one read batch and its one
    // guarded write batch (StripeWebhooks).

    public static SqlBatch EventProcessed(this SqlBatch reads, string eventId, Action<bool> found) =>
        reads.Query<long>("SELECT count(*) FROM stripe_events WHERE event_id = @eventId", new { eventId }, rows => found(rows.FirstOrDefault() > 0));

    public static SqlBatch ReceiptSent(this SqlBatch reads, string? invoiceId, Action<bool> found) =>
        reads.EventProcessed(ReceiptKey(invoiceId), found);

    public static SqlBatch UserOfCustomer(this SqlBatch reads, string? customerId, Action<string?> found) =>
        reads.Query<string>("SELECT user_id FROM stripe_customers WHERE stripe_customer_id = @customerId", new { customerId }, rows => found(rows.FirstOrDefault()));

    public static SqlBatch StoredSubscriptionOf(this SqlBatch reads, string? subscriptionId, Action<StoredSubscription?> found) =>
        reads.Query<StoredSubscription>(CurrentSql, new { Id = subscriptionId }, rows => found(rows.FirstOrDefault()));

    /// <summary>The account an event is about: the checkout's reference, else the Stripe customer's, else the subscription's metadata.</summary>
    public static SqlBatch BillingUser(this SqlBatch reads, string? referenceUser, string? customerId, string? metadataUser, Action<Auth.UserRow?> found) =>
        reads.Query<Auth.UserRow>(
            $"""
             SELECT {Auth.AccountStore.UserColumns} FROM users
             WHERE user_id = coalesce(@referenceUser, (SELECT user_id FROM stripe_customers WHERE stripe_customer_id = @customerId), @metadataUser)
             """, new { referenceUser, customerId, metadataUser }, rows => found(rows.FirstOrDefault()));

    /// <summary>First in an event's write batch: its primary key makes a second delivery fail the batch at statement 0.</summary>
    public static SqlBatch RecordEvent(this SqlBatch writes, string eventId, string type, string? apiVersion, long created, string now) =>
        writes.Execute("INSERT INTO stripe_events (event_id, type, api_version, created, processed_at) VALUES (@eventId, @type, @apiVersion, @created, @now)",
            new { eventId, type, apiVersion, created, now });

    /// <summary>Aborts the batch when a newer Stripe state of the subscription was stored since it was read.</summary>
    public static SqlBatch GuardNoNewerState(this SqlBatch writes, string subscriptionId, long stamp) =>
        writes.Guard("SELECT coalesce(max(stripe_updated), 0) <= @stamp FROM subscriptions WHERE stripe_subscription_id = @subscriptionId",
            new { stamp, subscriptionId });

    public static SqlBatch LinkCustomer(this SqlBatch writes, string userId, string customerId, string now) =>
        writes.Execute("INSERT INTO stripe_customers (user_id, stripe_customer_id, created_at) VALUES (@userId, @customerId, @now) ON CONFLICT DO NOTHING",
            new { userId, customerId, now });

    /// <summary>One receipt per payment, whichever of its two events comes first.</summary>
    public static SqlBatch MarkReceiptSent(this SqlBatch writes, string invoiceId, string now) =>
        writes.Execute("INSERT INTO stripe_events (event_id, type, created, processed_at) VALUES (@key, 'receipt', 0, @now)",
            new { key = ReceiptKey(invoiceId), now });

    public static SqlBatch ClearPastDue(this SqlBatch writes, string userId) =>
        writes.Execute("UPDATE subscriptions SET past_due_since = NULL WHERE user_id = @userId", new { userId });

    /// <summary>Past due from the first failed payment (a later failure keeps the first date: the grace period counts from it).</summary>
    public static SqlBatch MarkPastDue(this SqlBatch writes, string userId, string now) =>
        writes.Execute("UPDATE subscriptions SET past_due_since = coalesce(past_due_since, @now) WHERE user_id = @userId AND status IN ('active', 'past_due', 'trialing')",
            new { userId, now });

    private static string ReceiptKey(string? invoiceId) => "receipt:" + invoiceId;

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
