using Dapper;
using SqlStudio.Contracts;
using SqlStudio.Server.Auth;
using SqlStudio.Server.Data;
using SqlStudio.Server.Email;
using Stripe;

namespace SqlStudio.Server.Billing;

public sealed record CheckoutResponse(string CheckoutUrl, string SessionId);

public sealed record PortalResponse(string Url);

public sealed record SubscriptionResponse(string Tier, string? Status, string? PlanId, string? TrialEnd, string? CurrentPeriodEnd, bool CancelAtPeriodEnd);

/// <summary>Checkout, portal and fulfilment: the billing flows a user starts.</summary>
public sealed class BillingService(Db db, StripeGateway stripe, BillingOptions options, TierService tiers, AppOptions app, EmailComposer email,
    TimeProvider time, ILogger<BillingService> logger, SqlStudio.Server.Auth.SessionValidator validator)
{
    public IReadOnlyList<Plan> Plans() =>
    [
        new("monthly", options.Stripe.Prices.Monthly ?? "price_monthly", 900, "usd", "month", options.TrialDays),
        new("yearly", options.Stripe.Prices.Yearly ?? "price_yearly", 9000, "usd", "year", options.TrialDays),
    ];

    /// <summary>Stripe could not be reached or failed: nothing was charged, and the page says so in place.</summary>
    public static readonly Failure PaymentsUnavailable = new(503, BillingErrorCodes.PaymentsUnavailable,
        "Payments are unavailable right now; nothing was charged. Try again in a few minutes.") { RetryAfter = TimeSpan.FromSeconds(60) };

    private static bool IsStripeDown(Exception ex, CancellationToken ct) =>
        ex is StripeException { HttpStatusCode: >= System.Net.HttpStatusCode.InternalServerError or 0 } or HttpRequestException
            || (ex is TaskCanceledException && !ct.IsCancellationRequested);

    public async Task<Outcome<CheckoutResponse>> CreateCheckoutAsync(UserRow user, string? priceId, CancellationToken ct)
    {
        try
        {
            return await CheckoutCoreAsync(user, priceId, ct);
        }
        catch (Exception ex) when (IsStripeDown(ex, ct))
        {
            logger.LogWarning(ex, "Checkout could not reach Stripe");
            return PaymentsUnavailable;
        }
    }

    private async Task<Outcome<CheckoutResponse>> CheckoutCoreAsync(UserRow user, string? priceId, CancellationToken ct)
    {
        if (!options.Enabled)
        {
            return Disabled();
        }
        if (Plans().FirstOrDefault(p => p.PriceId == priceId) is not { } plan)
        {
            return Failure.Validation(new Dictionary<string, string[]> { ["price_id"] = ["Choose the monthly or the yearly plan."] });
        }
        var entitlement = await tiers.EntitlementAsync(user.UserId, user.EmailVerified);
        if (entitlement.Status is "trialing" or "active" or "past_due")
        {
            return new Failure(409, BillingErrorCodes.AlreadySubscribed, "You already have a subscription. Manage it from the billing page.");
        }
        var customerId = await db.ReadAsync(c => BillingStore.CustomerOfAsync(c, null, user.UserId));
        if (customerId is null)
        {
            var customer = await stripe.CreateCustomerAsync(user.Email, user.Name, user.UserId, ct);
            await db.WriteAsync((c, t) => BillingStore.SaveCustomerAsync(c, t, user.UserId, customer.Id, StoredTime.Format(time.GetUtcNow())));
            customerId = await db.ReadAsync(c => BillingStore.CustomerOfAsync(c, null, user.UserId));
        }
        // One trial per person: whoever had a subscription (trial or paid) before pays from day one.
        var hadTrial = await db.ReadAsync(c => BillingStore.HadTrialOrSubscriptionAsync(c, user.UserId));
        var session = await stripe.CreateCheckoutSessionAsync(customerId!, plan.PriceId, user.UserId, hadTrial ? null : plan.TrialDays,
            app.Link("/billing/success?session_id={CHECKOUT_SESSION_ID}"), app.Link("/billing"), plan.Currency == "usd", ct);
        return new CheckoutResponse(session.Url, session.Id);
    }

    public async Task<Outcome<PortalResponse>> PortalAsync(string userId, CancellationToken ct)
    {
        if (!options.Enabled)
        {
            return Disabled();
        }
        var customerId = await db.ReadAsync(c => BillingStore.CustomerOfAsync(c, null, userId));
        if (customerId is null)
        {
            return new Failure(404, BillingErrorCodes.NoCustomer, "There is no billing account yet: start a subscription first.");
        }
        try
        {
            var session = await stripe.CreatePortalSessionAsync(customerId, app.Link("/billing"), ct);
            return new PortalResponse(session.Url);
        }
        catch (Exception ex) when (IsStripeDown(ex, ct))
        {
            logger.LogWarning(ex, "The billing portal could not reach Stripe");
            return PaymentsUnavailable;
        }
    }

    public sealed record InvoiceInfo(string Id, string Date, long AmountCents, string Currency, string? Status, string? Url);

    /// <summary>The account's recent invoices from Stripe (empty when there is no billing account or Stripe is away).</summary>
    public async Task<IReadOnlyList<InvoiceInfo>> InvoicesAsync(string userId, CancellationToken ct)
    {
        if (!options.Enabled || await db.ReadAsync(c => BillingStore.CustomerOfAsync(c, null, userId)) is not { } customerId)
        {
            return [];
        }
        try
        {
            var invoices = await stripe.ListInvoicesAsync(customerId, ct);
            return invoices.Data.Select(i => new InvoiceInfo(i.Id, StoredTime.Format(new DateTimeOffset(DateTime.SpecifyKind(i.Created, DateTimeKind.Utc)))[..10],
                i.AmountPaid, i.Currency ?? "usd", i.Status, i.HostedInvoiceUrl)).ToList();
        }
        catch (Exception ex) when (ex is StripeException || IsStripeDown(ex, ct))
        {
            logger.LogWarning(ex, "Listing invoices failed");
            return [];
        }
    }

    public async Task<SubscriptionResponse> SubscriptionAsync(UserRow user)
    {
        var entitlement = await tiers.EntitlementAsync(user.UserId, user.EmailVerified);
        var row = options.Enabled ? await tiers.LatestAsync(user.UserId) : null;
        return new SubscriptionResponse(entitlement.Tier, row?.Status ?? entitlement.Status, row?.PlanId, row?.TrialEnd, row?.CurrentPeriodEnd,
            row?.CancelAtPeriodEnd == 1);
    }

    /// <summary>
    /// The success page's half of fulfilment: fetch the checkout session from Stripe and apply its subscription
    /// through the same idempotent path the webhook uses, so the tier changes whichever arrives first.
    /// </summary>
    public async Task<Failure?> FulfilFromSessionAsync(string userId, string sessionId, CancellationToken ct)
    {
        if (!options.Enabled)
        {
            return Disabled();
        }
        var session = await stripe.GetCheckoutSessionAsync(sessionId, ct);
        if (session.ClientReferenceId != userId)
        {
            return new Failure(404, ErrorCodes.NotFound, "This checkout belongs to another account.");
        }
        if (session.Subscription is not { } subscription)
        {
            return new Failure(409, BillingErrorCodes.NotComplete, "The checkout is not complete yet.");
        }
        await ApplySubscriptionAsync(userId, session.CustomerId, subscription, ct);
        return null;
    }

    /// <summary>Writes a subscription Stripe just reported (authoritative, so stamped with the current time).</summary>
    public async Task ApplySubscriptionAsync(string userId, string customerId, Subscription subscription, CancellationToken ct)
    {
        var before = await db.WriteAsync(async (c, t) =>
        {
            var now = StoredTime.Format(time.GetUtcNow());
            await BillingStore.SaveCustomerAsync(c, t, userId, customerId, now);
            return await BillingStore.UpsertSubscriptionAsync(c, t, userId, subscription, time.GetUtcNow().ToUnixTimeMilliseconds(), now);
        });
        validator.ForgetAccount(userId);
        await NotifyAsync(userId, before, subscription.Status);
    }

    /// <summary>The trial-started email, once, when a subscription first appears in trial.</summary>
    internal async Task NotifyAsync(string userId, string? before, string after)
    {
        if (before == "none" && after == "trialing" && await db.ReadAsync(c => AccountStore.FindByIdAsync(c, null, userId)) is { } user)
        {
            await email.SendAsync(user.Email, user.Name, BillingEmails.TrialStarted(user.Name, options.TrialDays, app.Link("/billing")));
            logger.LogInformation("Trial started for {UserId}", userId);
        }
    }

    private static Failure Disabled() =>
        new(503, BillingErrorCodes.BillingDisabled, "This server runs in self-hosted mode: billing is off and every verified account has the Individual plan.");
}

/// <summary>The words of the billing emails.</summary>
public static class BillingEmails
{
    public static EmailContent TrialStarted(string name, int days, string link) => new(
        "Your SQL Studio Cloud trial has started", $"Hi {name},",
        [$"Your {days}-day trial of the Individual plan is on: your connections, tabs, history, saved queries and AI chats now sync between your computers.",
         "Nothing is charged until the trial ends, and you can cancel any time before."],
        "Manage billing", link);

    public static EmailContent TrialEnding(string name, string? endsAt, string link) => new(
        "Your SQL Studio Cloud trial ends soon", $"Hi {name},",
        [$"Your trial ends on {endsAt?[..10] ?? "soon"}. After that, the plan you chose is charged to your payment method.",
         "To change plans or cancel, use the billing page."],
        "Manage billing", link);

    public static EmailContent Receipt(string name, long amountCents, string currency, string? invoiceUrl) => new(
        "Receipt for your SQL Studio Cloud subscription", $"Hi {name},",
        [$"Thanks! We received your payment of {amountCents / 100.0:0.00} {currency.ToUpperInvariant()}."],
        invoiceUrl is null ? null : "View invoice", invoiceUrl);

    public static EmailContent PaymentFailed(string name, string portalLink) => new(
        "Your SQL Studio Cloud payment did not go through", $"Hi {name},",
        ["We could not charge your payment method. Sync keeps working for a few days while we retry.",
         "Update your payment method to keep your plan."],
        "Update payment method", portalLink);

    public static EmailContent Canceled(string name, string link) => new(
        "Your SQL Studio Cloud subscription has ended", $"Hi {name},",
        ["Your Individual plan has ended, so changes no longer sync. Your synced data stays readable for 30 days.",
         "You can subscribe again at any time."],
        "Subscribe again", link);
}
