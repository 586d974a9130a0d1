using Stripe;
using Stripe.Checkout;

namespace SqlStudio.Server.Billing;

/// <summary>
/// The thin seam over Stripe.net: only the calls billing makes. <c>Billing:Stripe:ApiBase</c> points it elsewhere
/// (tests run a fake Stripe on loopback).
/// </summary>
public sealed class StripeGateway(BillingOptions options, IHttpClientFactory httpClients)
{
    private StripeClient Client => new(
        options.Stripe.SecretKey ?? throw new InvalidOperationException("Billing:Stripe:SecretKey is not set."),
        httpClient: new SystemNetHttpClient(httpClients.CreateClient(nameof(StripeGateway)), maxNetworkRetries: 2),
        apiBase: options.Stripe.ApiBase);

    public Task<Customer> CreateCustomerAsync(string email, string name, string userId, CancellationToken ct) =>
        Client.V1.Customers.CreateAsync(new CustomerCreateOptions
        {
            Email = email,
            Name = name,
            Metadata = new Dictionary<string, string> { ["user_id"] = userId },
        }, new RequestOptions { IdempotencyKey = "customer-" + userId }, ct);

    public Task<Session> CreateCheckoutSessionAsync(string customerId, string priceId, string userId, int? trialDays, string successUrl,
        string cancelUrl, bool usd, CancellationToken ct)
    {
        var create = new SessionCreateOptions
        {
            Mode = "subscription",
            Customer = customerId,
            ClientReferenceId = userId,
            LineItems = [new SessionLineItemOptions { Price = priceId, Quantity = 1 }],
            SubscriptionData = new SessionSubscriptionDataOptions
            {
                TrialPeriodDays = trialDays,
                Metadata = new Dictionary<string, string> { ["user_id"] = userId },
            },
            AllowPromotionCodes = true,
            SuccessUrl = successUrl,
            CancelUrl = cancelUrl,
        };
        if (trialDays is > 0)
        {
            // The trial starts without a card (docs/decisions/0002-card-free-trial.md): Checkout asks for one only when
            // something is due now; a trial that ends with no payment method on file is canceled, not charged.
            create.PaymentMethodCollection = "if_required";
            create.SubscriptionData.TrialSettings = new SessionSubscriptionDataTrialSettingsOptions
            {
                EndBehavior = new SessionSubscriptionDataTrialSettingsEndBehaviorOptions { MissingPaymentMethod = "cancel" },
            };
        }
        if (options.Stripe.AutomaticTax)
        {
            // Stripe Tax works out the tax from the customer's address, which Checkout collects and saves on the customer.
            create.AutomaticTax = new SessionAutomaticTaxOptions { Enabled = true };
            create.BillingAddressCollection = "required";
            create.CustomerUpdate = new SessionCustomerUpdateOptions { Address = "auto", Name = "auto" };
        }
        // Card always; US bank accounts (ACH) for USD prices. Not a typed option in this Stripe.net version.
        create.AddExtraParam("payment_method_types[0]", "card");
        if (usd)
        {
            create.AddExtraParam("payment_method_types[1]", "us_bank_account");
        }
        return Client.V1.Checkout.Sessions.CreateAsync(create, cancellationToken: ct);
    }

    public Task<Session> GetCheckoutSessionAsync(string sessionId, CancellationToken ct) =>
        Client.V1.Checkout.Sessions.GetAsync(sessionId, new SessionGetOptions { Expand = ["subscription"] }, cancellationToken: ct);

    public Task<Stripe.BillingPortal.Session> CreatePortalSessionAsync(string customerId, string returnUrl, CancellationToken ct) =>
        Client.V1.BillingPortal.Sessions.CreateAsync(new Stripe.BillingPortal.SessionCreateOptions
        {
            Customer = customerId,
            ReturnUrl = returnUrl,
            Configuration = string.IsNullOrWhiteSpace(options.Stripe.PortalConfiguration) ? null : options.Stripe.PortalConfiguration,
        }, cancellationToken: ct);

    public Task<StripeList<Stripe.BillingPortal.Configuration>> PortalConfigurationsAsync(CancellationToken ct) =>
        Client.V1.BillingPortal.Configurations.ListAsync(new Stripe.BillingPortal.ConfigurationListOptions { Limit = 100 }, cancellationToken: ct);

    /// <summary>
    /// The customer portal as the product needs it: switch monthly ↔ yearly with proration, update the payment method,
    /// see invoices, cancel at the end of the period; the terms and privacy links on it.
    /// </summary>
    public Task<Stripe.BillingPortal.Configuration> CreatePortalConfigurationAsync(string productId, IReadOnlyList<string> priceIds, string termsUrl,
        string privacyUrl, string returnUrl, CancellationToken ct) =>
        Client.V1.BillingPortal.Configurations.CreateAsync(new Stripe.BillingPortal.ConfigurationCreateOptions
        {
            BusinessProfile = new Stripe.BillingPortal.ConfigurationBusinessProfileOptions
            {
                Headline = "SQL Studio Cloud — Individual tier",
                TermsOfServiceUrl = termsUrl,
                PrivacyPolicyUrl = privacyUrl,
            },
            DefaultReturnUrl = returnUrl,
            Features = new Stripe.BillingPortal.ConfigurationFeaturesOptions
            {
                CustomerUpdate = new Stripe.BillingPortal.ConfigurationFeaturesCustomerUpdateOptions
                {
                    Enabled = true,
                    AllowedUpdates = ["email", "address", "tax_id"],
                },
                InvoiceHistory = new Stripe.BillingPortal.ConfigurationFeaturesInvoiceHistoryOptions { Enabled = true },
                PaymentMethodUpdate = new Stripe.BillingPortal.ConfigurationFeaturesPaymentMethodUpdateOptions { Enabled = true },
                SubscriptionCancel = new Stripe.BillingPortal.ConfigurationFeaturesSubscriptionCancelOptions
                {
                    Enabled = true,
                    Mode = "at_period_end",
                    ProrationBehavior = "none",
                },
                SubscriptionUpdate = new Stripe.BillingPortal.ConfigurationFeaturesSubscriptionUpdateOptions
                {
                    Enabled = true,
                    DefaultAllowedUpdates = ["price"],
                    ProrationBehavior = "create_prorations",
                    Products = [new Stripe.BillingPortal.ConfigurationFeaturesSubscriptionUpdateProductOptions { Product = productId, Prices = [.. priceIds] }],
                },
            },
            Metadata = new Dictionary<string, string> { ["app"] = "sqlstudio" },
        }, new RequestOptions { IdempotencyKey = "portal-configuration-" + string.Join("-", priceIds) }, ct);

    public Task<Subscription> GetSubscriptionAsync(string subscriptionId, CancellationToken ct) =>
        Client.V1.Subscriptions.GetAsync(subscriptionId, cancellationToken: ct);

    /// <summary>Ends the subscription now (account deletion): no further invoice, no proration credit.</summary>
    public Task<Subscription> CancelSubscriptionAsync(string subscriptionId, CancellationToken ct) =>
        Client.V1.Subscriptions.CancelAsync(subscriptionId, new SubscriptionCancelOptions(),
            new RequestOptions { IdempotencyKey = "cancel-" + subscriptionId }, ct);

    public Task<StripeList<Subscription>> ListSubscriptionsAsync(string customerId, CancellationToken ct) =>
        Client.V1.Subscriptions.ListAsync(new SubscriptionListOptions { Customer = customerId, Status = "all", Limit = 10 }, cancellationToken: ct);

    public Task<StripeList<Invoice>> ListInvoicesAsync(string customerId, CancellationToken ct) =>
        Client.V1.Invoices.ListAsync(new InvoiceListOptions { Customer = customerId, Limit = 12 }, cancellationToken: ct);

    public Task<StripeList<Price>> PricesByLookupKeyAsync(IEnumerable<string> lookupKeys, CancellationToken ct) =>
        Client.V1.Prices.ListAsync(new PriceListOptions { LookupKeys = lookupKeys.ToList(), Expand = ["data.product"] }, cancellationToken: ct);

    public Task<Product> CreateProductAsync(string name, CancellationToken ct) =>
        Client.V1.Products.CreateAsync(new ProductCreateOptions { Name = name, Metadata = new Dictionary<string, string> { ["app"] = "sqlstudio" } },
            new RequestOptions { IdempotencyKey = "product-individual-tier" }, ct);

    public Task<Price> CreatePriceAsync(string productId, long cents, string interval, string lookupKey, CancellationToken ct) =>
        Client.V1.Prices.CreateAsync(new PriceCreateOptions
        {
            Product = productId,
            UnitAmount = cents,
            Currency = "usd",
            LookupKey = lookupKey,
            Recurring = new PriceRecurringOptions { Interval = interval },
        }, new RequestOptions { IdempotencyKey = "price-" + lookupKey }, ct);
}
