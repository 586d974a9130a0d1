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

    /// <summary>What a webhook's body turned out to be.</summary>
    public enum Verdict { Verified, BadSignature, Malformed }

    /// <summary>
    /// The signature first (over the exact bytes), then the event. A correctly signed body that is not an event Stripe
    /// would send (malformed JSON, an array, no data object) is <see cref="Verdict.Malformed"/>: acknowledged and
    /// logged, never a 500 that Stripe would retry for days.
    /// </summary>
    public Verdict Verify(string body, string? signature, out Event? stripeEvent, out string? problem)
    {
        stripeEvent = null;
        try
        {
            EventUtility.ValidateSignature(body, signature ?? "", options.Stripe.WebhookSecret ?? "",
                (long)options.Stripe.WebhookTolerance.TotalSeconds, time.GetUtcNow().ToUnixTimeSeconds());
        }
        catch (StripeException ex)
        {
            problem = ex.Message;
            return Verdict.BadSignature;
        }
        try
        {
            // Events of another API version are parsed anyway: we read only fields present in every recent version,
            // and subscription state comes from the subscription object itself.
            stripeEvent = EventUtility.ParseEvent(body, throwOnApiVersionMismatch: false);
        }
        catch (Exception)
        // Parsing only (no I/O): whatever it throws on a body it cannot read — the JSON library's errors, a cast, a
        // nesting deeper than its limit — means the same thing.
        {
            problem = "The body is not a Stripe event.";
            return Verdict.Malformed;
        }
        if (stripeEvent is not { Id.Length: > 0, Type.Length: > 0 })
        {
            problem = "The event has no id or type.";
            return Verdict.Malformed;
        }
        problem = null;
        return Verdict.Verified;
    }

    /// <summary>What an event's handling reads first, in one batch: whether it was processed, whose it is, what is stored.</summary>
    private sealed class Known
    {
        public bool Processed { get; set; }
        public bool ReceiptSent { get; set; }
        public string? CustomerUserId { get; set; }
        public BillingStore.StoredSubscription? Stored { get; set; }
        public UserRow? User { get; set; }
    }

    /// <summary>
    /// Applies the event once; false when it was already processed. One read batch, the decision in memory, one write
    /// batch that starts by recording the event id (a second delivery, on any instance, fails there and changes
    /// nothing) and is guarded by the stored subscription state it decided on.
    /// </summary>
    public async Task<bool> HandleAsync(Event stripeEvent, CancellationToken ct)
    {
        // Anything Stripe has to be asked first happens before the database (no network inside a write lock).
        Subscription? fetched = null;
        if (stripeEvent.Data?.Object is Session { Mode: "subscription", SubscriptionId: { } subscriptionId })
        {
            fetched = await stripe.GetSubscriptionAsync(subscriptionId, ct);
        }
        for (var attempt = 0; ; attempt++)
        {
            var known = await ReadAsync(stripeEvent, fetched, ct);
            if (known.Processed)
            {
                logger.LogInformation("Stripe event {EventId} ({Type}) already processed", stripeEvent.Id, stripeEvent.Type);
                return false;
            }
            if (fetched is null && IsSameSecondAsStored(stripeEvent, known) is { } tied)
            {
                // Two states of the subscription stamped with the same second: the event cannot say which is newer,
                // so ask Stripe for the subscription as it is now (Stripe's own advice) and decide on that.
                logger.LogInformation("Stripe event {EventId} ties with the stored state of {SubscriptionId}; fetching it", stripeEvent.Id, tied);
                fetched = await stripe.GetSubscriptionAsync(tied, ct);
                continue;
            }
            var now = StoredTime.Format(time.GetUtcNow());
            var writes = new SqlBatch().RecordEvent(stripeEvent.Id, stripeEvent.Type, stripeEvent.ApiVersion,
                new DateTimeOffset(stripeEvent.Created, TimeSpan.Zero).ToUnixTimeSeconds(), now);
            var effect = Decide(stripeEvent, fetched, known, writes, now);
            try
            {
                await db.WriteBatchAsync(writes, ct);
            }
            catch (Exception ex) when (db.Provider.IsConstraintViolation(ex) && SqlBatch.FailedIndex(ex) == 0)
            {
                // The same event, delivered to another instance at the same moment, was recorded first.
                logger.LogInformation("Stripe event {EventId} ({Type}) already processed", stripeEvent.Id, stripeEvent.Type);
                return false;
            }
            catch (Exception ex) when (attempt < 3 && (ex is WriteConflictException || db.Provider.IsConstraintViolation(ex)))
            {
                // A newer state of the subscription, or this payment's receipt, was stored meanwhile by another
                // delivery: nothing of this batch was kept; read again and decide again.
                continue;
            }
            if (effect.UserId is { } changed)
            {
                validator.ForgetAccount(changed);
            }
            if (effect is { Email: { } content } && known.User is { } user)
            {
                await email.SendAsync(user.Email, user.Name, content);
            }
            return true;
        }
    }

    private async Task<Known> ReadAsync(Event stripeEvent, Subscription? fetched, CancellationToken ct)
    {
        var known = new Known();
        var (customerId, subscriptionId, invoiceId, referenceUser, metadataUser) = stripeEvent.Data?.Object switch
        {
            Session session => (session.CustomerId, fetched?.Id, null, session.ClientReferenceId, null),
            Subscription subscription => (subscription.CustomerId, subscription.Id, null, null,
                subscription.Metadata?.TryGetValue("user_id", out var id) == true ? id : null),
            Invoice invoice => (invoice.CustomerId, null, invoice.Id, null, null),
            _ => ((string?)null, (string?)null, (string?)null, (string?)null, (string?)null),
        };
        var reads = new SqlBatch()
            .EventProcessed(stripeEvent.Id, found => known.Processed = found)
            .ReceiptSent(invoiceId, found => known.ReceiptSent = found)
            .UserOfCustomer(customerId, found => known.CustomerUserId = found)
            .StoredSubscriptionOf(subscriptionId, found => known.Stored = found)
            .BillingUser(referenceUser, customerId, metadataUser, found => known.User = found);
        await db.ReadBatchAsync(reads, ct);
        return known;
    }

    private static long StampOf(Event stripeEvent) =>
        new DateTimeOffset(DateTime.SpecifyKind(stripeEvent.Created, DateTimeKind.Utc)).ToUnixTimeMilliseconds();

    /// <summary>The subscription's id when this event's state is stamped with the very second of the stored one.</summary>
    private static string? IsSameSecondAsStored(Event stripeEvent, Known known) =>
        stripeEvent.Type is StripeEventTypes.SubscriptionCreated or StripeEventTypes.SubscriptionUpdated or StripeEventTypes.SubscriptionDeleted &&
        stripeEvent.Data?.Object is Subscription { Id: { } id } && known.Stored is { } stored && stored.StripeUpdated == StampOf(stripeEvent)
            ? id
            : null;

    private Effect Decide(Event stripeEvent, Subscription? fetched, Known known, SqlBatch writes, string now)
    {
        // The object's type is checked, not cast: a signed event whose data.object is missing or of another type is
        // acknowledged and logged (Stripe would retry a 500 for days).
        var data = stripeEvent.Data?.Object;
        return (stripeEvent.Type, data) switch
        {
            (StripeEventTypes.CheckoutSessionCompleted, Session session) => CheckoutCompleted(session, fetched, known, writes, now),
            (StripeEventTypes.SubscriptionCreated or StripeEventTypes.SubscriptionUpdated or StripeEventTypes.SubscriptionDeleted, Subscription subscription) =>
                fetched is not null
                    // Fetched from Stripe just now: authoritative, so stamped with the current time.
                    ? SubscriptionChanged(fetched, known, writes, time.GetUtcNow().ToUnixTimeMilliseconds(), now)
                    : SubscriptionChanged(subscription, known, writes, StampOf(stripeEvent), now),
            (StripeEventTypes.TrialWillEnd, Subscription trial) => known.CustomerUserId is { } trialUser && known.User is { } u
                ? new Effect(trialUser, BillingEmails.TrialEnding(u.Name, BillingStore.Time(trial.TrialEnd), app.Link("/billing")))
                : new Effect(null, null),
            (StripeEventTypes.InvoicePaymentSucceeded or StripeEventTypes.InvoicePaid, Invoice invoice) => InvoicePaid(invoice, known, writes, now),
            (StripeEventTypes.InvoicePaymentFailed, Invoice) => InvoiceFailed(known, writes, now),
            (StripeEventTypes.CheckoutSessionCompleted or StripeEventTypes.SubscriptionCreated or StripeEventTypes.SubscriptionUpdated
                or StripeEventTypes.SubscriptionDeleted or StripeEventTypes.TrialWillEnd or StripeEventTypes.InvoicePaymentSucceeded
                or StripeEventTypes.InvoicePaid or StripeEventTypes.InvoicePaymentFailed, _) => Unreadable(stripeEvent),
            _ => Unhandled(stripeEvent),
        };
    }

    private Effect Unreadable(Event stripeEvent)
    {
        logger.LogWarning("Stripe event {EventId} ({Type}) has no readable data.object; acknowledged without action", stripeEvent.Id, stripeEvent.Type);
        return new Effect(null, null);
    }

    /// <summary>Writes the subscription unless a newer Stripe state is stored; the guard holds that true until the write.</summary>
    private static string? Store(string userId, Subscription subscription, Known known, SqlBatch writes, long stamp, string now)
    {
        if (known.Stored is { } existing && existing.StripeUpdated > stamp)
        {
            return null;
        }
        writes.GuardNoNewerState(subscription.Id, stamp).LinkCustomer(userId, subscription.CustomerId, now);
        foreach (var statement in BillingStore.Upsert(userId, subscription, known.Stored, stamp, now))
        {
            statement.AddTo(writes);
        }
        return known.Stored?.Status ?? "none";
    }

    private Effect CheckoutCompleted(Session session, Subscription? subscription, Known known, SqlBatch writes, string now)
    {
        if (session.ClientReferenceId is not { } userId || subscription is null || known.User is null)
        {
            return new Effect(null, null);
        }
        // Fetched from Stripe just now: authoritative, so stamped with the current time.
        var before = Store(userId, subscription, known, writes, time.GetUtcNow().ToUnixTimeMilliseconds(), now);
        return new Effect(userId, before == "none" && subscription.Status == "trialing"
            ? BillingEmails.TrialStarted(known.User.Name, options.TrialDays, app.Link("/billing"))
            : null);
    }

    private Effect SubscriptionChanged(Subscription subscription, Known known, SqlBatch writes, long stamp, string now)
    {
        if ((known.CustomerUserId ?? known.User?.UserId) is not { } userId || known.User is null)
        {
            logger.LogWarning("Subscription {SubscriptionId} of unknown customer {CustomerId}; ignored", subscription.Id, subscription.CustomerId);
            return new Effect(null, null);
        }
        var before = Store(userId, subscription, known, writes, stamp, now);
        if (before is null)
        {
            logger.LogInformation("Stale subscription event for {SubscriptionId} ignored (newer state stored)", subscription.Id);
            return new Effect(null, null);
        }
        var name = known.User.Name;
        return new Effect(userId,
            before == "none" && subscription.Status == "trialing" ? BillingEmails.TrialStarted(name, options.TrialDays, app.Link("/billing"))
            : subscription.Status == "canceled" && before != "canceled" ? BillingEmails.Canceled(name, app.Link("/billing"))
            : null);
    }

    private Effect InvoicePaid(Invoice invoice, Known known, SqlBatch writes, string now)
    {
        // invoice.paid and invoice.payment_succeeded describe one payment: one receipt, from whichever comes first (the
        // receipt marker's primary key makes a second one fail the batch, sending nothing twice).
        if (known.ReceiptSent || invoice.AmountPaid <= 0)
        {
            return new Effect(null, null);
        }
        writes.MarkReceiptSent(invoice.Id, now);
        if (known.CustomerUserId is not { } userId || known.User is null)
        {
            return new Effect(null, null);
        }
        writes.ClearPastDue(userId);
        return new Effect(userId, BillingEmails.Receipt(known.User.Name, invoice.AmountPaid, invoice.Currency ?? "usd", invoice.HostedInvoiceUrl));
    }

    private Effect InvoiceFailed(Known known, SqlBatch writes, string now)
    {
        if (known.CustomerUserId is not { } userId || known.User is null)
        {
            return new Effect(null, null);
        }
        writes.MarkPastDue(userId, now);
        return new Effect(userId, BillingEmails.PaymentFailed(known.User.Name, app.Link("/billing")));
    }

    private Effect Unhandled(Event stripeEvent)
    {
        logger.LogInformation("Stripe event {Type} acknowledged without action", stripeEvent.Type);
        return new Effect(null, null);
    }

}
