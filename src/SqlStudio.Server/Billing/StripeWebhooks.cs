using System.Data.Common;
using Dapper;
using SqlStudio.Server.Auth;
using SqlStudio.Server.Data;
using SqlStudio.Server.Email;
using Stripe;
using Stripe.Checkout;

namespace SqlStudio.Server.Billing;

/// <summary>The Stripe event types handled; everything else is acknowledged and logged.</summary>
public static class StripeEventTypes
{
    public const string CheckoutSessionCompleted = "checkout.session.completed";
    public const string SubscriptionCreated = "customer.subscription.created";
    public const string SubscriptionUpdated = "customer.subscription.updated";
    public const string SubscriptionDeleted = "customer.subscription.deleted";
    public const string TrialWillEnd = "customer.subscription.trial_will_end";
    public const string InvoicePaymentSucceeded = "invoice.payment_succeeded";
    public const string InvoicePaid = "invoice.paid";
    public const string InvoicePaymentFailed = "invoice.payment_failed";
}

/// <summary>
/// Verifies and applies Stripe webhooks. The event id goes into <c>stripe_events</c> in the same transaction as its
/// effect, so a redelivery changes nothing and a failure rolls both back (500: Stripe retries). Emails go out only
/// after the transaction commits.
/// </summary>
public sealed class StripeWebhooks(Db db, BillingOptions options, StripeGateway stripe, EmailComposer email, AppOptions app, TimeProvider time,
    ILogger<StripeWebhooks> logger, SqlStudio.Server.Auth.SessionValidator validator)
{
    private sealed record Effect(string? UserId, EmailContent? Email);

    /// <summary>Null when verified; otherwise why the signature is refused.</summary>
    public Event? Verify(string body, string? signature, out string? problem)
    {
        try
        {
            problem = null;
            // Events of another API version are parsed anyway: we read only fields present in every recent version,
            // and subscription state comes from the subscription object itself.
            return EventUtility.ConstructEvent(body, signature ?? "", options.Stripe.WebhookSecret ?? "",
                (long)options.Stripe.WebhookTolerance.TotalSeconds, time.GetUtcNow().ToUnixTimeSeconds(), throwOnApiVersionMismatch: false);
        }
        catch (StripeException ex)
        {
            problem = ex.Message;
            return null;
        }
    }

    /// <summary>Applies the event once; false when it was already processed.</summary>
    public async Task<bool> HandleAsync(Event stripeEvent, CancellationToken ct)
    {
        // Anything Stripe has to be asked first happens before the transaction (no network inside a write lock).
        Subscription? fetched = null;
        if (stripeEvent.Data.Object is Session { Mode: "subscription", SubscriptionId: { } subscriptionId })
        {
            fetched = await stripe.GetSubscriptionAsync(subscriptionId, ct);
        }
        var effect = await db.WriteAsync(async (c, t) =>
        {
            var now = Clock.Format(time.GetUtcNow());
            if (!await BillingStore.MarkEventAsync(c, t, stripeEvent, now))
            {
                return (Effect?)null;
            }
            var stamp = new DateTimeOffset(DateTime.SpecifyKind(stripeEvent.Created, DateTimeKind.Utc)).ToUnixTimeMilliseconds();
            return stripeEvent.Type switch
            {
                StripeEventTypes.CheckoutSessionCompleted => await CheckoutCompletedAsync(c, t, (Session)stripeEvent.Data.Object, fetched, now),
                StripeEventTypes.SubscriptionCreated or StripeEventTypes.SubscriptionUpdated or StripeEventTypes.SubscriptionDeleted =>
                    await SubscriptionChangedAsync(c, t, (Subscription)stripeEvent.Data.Object, stamp, now),
                StripeEventTypes.TrialWillEnd => await TrialWillEndAsync(c, t, (Subscription)stripeEvent.Data.Object),
                StripeEventTypes.InvoicePaymentSucceeded or StripeEventTypes.InvoicePaid => await InvoicePaidAsync(c, t, stripeEvent, (Invoice)stripeEvent.Data.Object),
                StripeEventTypes.InvoicePaymentFailed => await InvoiceFailedAsync(c, t, (Invoice)stripeEvent.Data.Object, now),
                _ => Unhandled(stripeEvent),
            };
        }, ct);
        if (effect is null)
        {
            logger.LogInformation("Stripe event {EventId} ({Type}) already processed", stripeEvent.Id, stripeEvent.Type);
            return false;
        }
        if (effect.UserId is { } changed)
        {
            validator.ForgetAccount(changed);
        }
        if (effect is { UserId: { } userId, Email: { } content } && await UserAsync(userId) is { } user)
        {
            await email.SendAsync(user.Email, user.Name, content);
        }
        return true;
    }

    private async Task<Effect> CheckoutCompletedAsync(DbConnection c, DbTransaction t, Session session, Subscription? subscription, string now)
    {
        if (session.ClientReferenceId is not { } userId || subscription is null)
        {
            return new Effect(null, null);
        }
        await BillingStore.SaveCustomerAsync(c, t, userId, session.CustomerId, now);
        var before = await BillingStore.UpsertSubscriptionAsync(c, t, userId, subscription, time.GetUtcNow().ToUnixTimeMilliseconds(), now);
        return new Effect(userId, before == "none" && subscription.Status == "trialing"
            ? BillingEmails.TrialStarted(await NameAsync(c, t, userId), options.TrialDays, app.Link("/billing"))
            : null);
    }

    private async Task<Effect> SubscriptionChangedAsync(DbConnection c, DbTransaction t, Subscription subscription, long stamp, string now)
    {
        var userId = await BillingStore.UserOfCustomerAsync(c, t, subscription.CustomerId)
                     ?? (subscription.Metadata?.TryGetValue("user_id", out var id) == true ? id : null);
        if (userId is null)
        {
            logger.LogWarning("Subscription {SubscriptionId} of unknown customer {CustomerId}; ignored", subscription.Id, subscription.CustomerId);
            return new Effect(null, null);
        }
        await BillingStore.SaveCustomerAsync(c, t, userId, subscription.CustomerId, now);
        var before = await BillingStore.UpsertSubscriptionAsync(c, t, userId, subscription, stamp, now);
        if (before is null)
        {
            logger.LogInformation("Stale subscription event for {SubscriptionId} ignored (newer state stored)", subscription.Id);
            return new Effect(null, null);
        }
        var name = await NameAsync(c, t, userId);
        return new Effect(userId,
            before == "none" && subscription.Status == "trialing" ? BillingEmails.TrialStarted(name, options.TrialDays, app.Link("/billing"))
            : subscription.Status == "canceled" && before != "canceled" ? BillingEmails.Canceled(name, app.Link("/billing"))
            : null);
    }

    private async Task<Effect> TrialWillEndAsync(DbConnection c, DbTransaction t, Subscription subscription)
    {
        var userId = await BillingStore.UserOfCustomerAsync(c, t, subscription.CustomerId);
        return userId is null
            ? new Effect(null, null)
            : new Effect(userId, BillingEmails.TrialEnding(await NameAsync(c, t, userId), BillingStore.Time(subscription.TrialEnd), app.Link("/billing")));
    }

    private async Task<Effect> InvoicePaidAsync(DbConnection c, DbTransaction t, Event stripeEvent, Invoice invoice)
    {
        // invoice.paid and invoice.payment_succeeded describe one payment: one receipt, from whichever comes first.
        var already = await c.ExecuteScalarAsync<long>(
            "SELECT count(*) FROM stripe_events WHERE event_id = @key", new { key = "receipt:" + invoice.Id }, t);
        if (already > 0 || invoice.AmountPaid <= 0)
        {
            return new Effect(null, null);
        }
        await c.ExecuteAsync("INSERT INTO stripe_events (event_id, type, created, processed_at) VALUES (@key, 'receipt', 0, @now)",
            new { key = "receipt:" + invoice.Id, now = Clock.Format(time.GetUtcNow()) }, t);
        var userId = await BillingStore.UserOfCustomerAsync(c, t, invoice.CustomerId);
        if (userId is not null)
        {
            await c.ExecuteAsync("UPDATE subscriptions SET past_due_since = NULL WHERE user_id = @userId", new { userId }, t);
        }
        return userId is null
            ? new Effect(null, null)
            : new Effect(userId, BillingEmails.Receipt(await NameAsync(c, t, userId), invoice.AmountPaid, invoice.Currency ?? "usd", invoice.HostedInvoiceUrl));
    }

    private async Task<Effect> InvoiceFailedAsync(DbConnection c, DbTransaction t, Invoice invoice, string now)
    {
        var userId = await BillingStore.UserOfCustomerAsync(c, t, invoice.CustomerId);
        if (userId is null)
        {
            return new Effect(null, null);
        }
        await c.ExecuteAsync("UPDATE subscriptions SET past_due_since = coalesce(past_due_since, @now) WHERE user_id = @userId AND status IN ('active', 'past_due', 'trialing')",
            new { userId, now }, t);
        return new Effect(userId, BillingEmails.PaymentFailed(await NameAsync(c, t, userId), app.Link("/billing")));
    }

    private Effect Unhandled(Event stripeEvent)
    {
        logger.LogInformation("Stripe event {Type} acknowledged without action", stripeEvent.Type);
        return new Effect(null, null);
    }

    private static Task<string> NameAsync(DbConnection c, DbTransaction t, string userId) =>
        c.ExecuteScalarAsync<string>("SELECT name FROM users WHERE user_id = @userId", new { userId }, t)!;

    private Task<UserRow?> UserAsync(string userId) =>
        db.ReadAsync(c => c.QuerySingleOrDefaultAsync<UserRow>(
            "SELECT user_id, email, email_verified_at, name, password_hash, security_stamp, role, created_at, disabled_at, locked_until FROM users WHERE user_id = @userId",
            new { userId }));
}
