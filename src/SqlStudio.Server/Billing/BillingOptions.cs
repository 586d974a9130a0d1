using System.ComponentModel.DataAnnotations;

namespace SqlStudio.Server.Billing;

/// <summary>The <c>Billing</c> section. No <c>Stripe:SecretKey</c> means self-hosted mode.</summary>
public sealed class BillingOptions
{
    public const string Section = "Billing";

    public StripeSettings Stripe { get; set; } = new();

    [Range(1, 365, ErrorMessage = "must be between {1} and {2}.")]

    public int TrialDays { get; set; } = 14;

    /// <summary>How long a past-due subscription keeps the Individual tier while Stripe retries the payment.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "3650.00:00:00", ErrorMessage = "must be zero or more, at most 3650 days.")]
    public TimeSpan PastDueGrace { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Pulling stays allowed this long after a subscription ends.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "3650.00:00:00", ErrorMessage = "must be zero or more, at most 3650 days.")]
    public TimeSpan PullGraceAfterEnd { get; set; } = TimeSpan.FromDays(30);

    public bool Enabled => !string.IsNullOrWhiteSpace(Stripe.SecretKey);
}

public sealed class StripeSettings
{
    public string? SecretKey { get; set; }
    public string? WebhookSecret { get; set; }

    /// <summary>Stripe's API address; tests point it at a loopback fake.</summary>
    public string? ApiBase { get; set; }

    public PriceSettings Prices { get; set; } = new();

    /// <summary>The customer-portal configuration <c>stripe-bootstrap</c> creates (<c>bpc_…</c>); none: the account's default.</summary>
    public string? PortalConfiguration { get; set; }

    /// <summary>Checkout asks Stripe Tax for the tax, collecting the billing address it needs.</summary>
    public bool AutomaticTax { get; set; }

    /// <summary>Signature tolerance of webhooks.</summary>
    public TimeSpan WebhookTolerance { get; set; } = TimeSpan.FromSeconds(300);
}

public sealed class PriceSettings
{
    public string? Monthly { get; set; }
    public string? Yearly { get; set; }
}

/// <summary>The plans on sale: $9/month and $90/year, both with the trial.</summary>
public sealed record Plan(string PlanId, string PriceId, long Amount, string Currency, string Interval, int TrialDays);
