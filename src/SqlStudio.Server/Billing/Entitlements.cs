using SqlStudio.Contracts;
using SqlStudio.Server.Data;

namespace SqlStudio.Server.Billing;

/// <summary>A user's subscription as stored (the plan's table, kept current from Stripe).</summary>
public sealed record SubscriptionRow(
    string SubscriptionId, string UserId, string? StripeSubscriptionId, string? StripeCustomerId, string Status, string? PriceId,
    string? PlanId, string? TrialEnd, string? CurrentPeriodStart, string? CurrentPeriodEnd, long CancelAtPeriodEnd, string? CanceledAt,
    string? EndedAt, string? PastDueSince, long StripeUpdated, string UpdatedAt);

/// <summary>What an account may do right now.</summary>
public sealed record Entitlement(string Tier, bool CanPush, bool CanPull, string? Status);

/// <summary>
/// The tier rules (pure): trialing and active → Individual; past_due → Individual for the grace period;
/// cancelled at period end → Individual until the period ends; otherwise free. Pulling stays allowed for 30 days
/// after a subscription ends. Self-hosted (no Stripe key): every verified account is Individual.
/// </summary>
public static class Entitlements
{
    public static Entitlement Evaluate(SubscriptionRow? subscription, bool emailVerified, bool billingEnabled, DateTimeOffset now, BillingOptions options)
    {
        if (!billingEnabled)
        {
            return emailVerified ? new(Tiers.Individual, true, true, "self_hosted") : new(Tiers.Free, false, true, "self_hosted");
        }
        if (subscription is null)
        {
            return new(Tiers.Free, false, true, null);
        }
        var periodEnd = subscription.CurrentPeriodEnd is { } end ? StoredTime.Parse(end) : (DateTimeOffset?)null;
        var individual = subscription.Status switch
        {
            "trialing" or "active" => periodEnd is null || subscription.CancelAtPeriodEnd == 0 || periodEnd > now,
            "past_due" => subscription.PastDueSince is { } since && now - StoredTime.Parse(since) <= options.PastDueGrace,
            "canceled" => subscription.CancelAtPeriodEnd == 1 && periodEnd > now,
            _ => false,
        };
        var tier = individual && emailVerified ? Tiers.Individual : Tiers.Free;
        // "Ended" is a cancelled or unpaid subscription; other states (still being paid, paused) keep reading open.
        var endedAt = subscription.EndedAt ?? subscription.CanceledAt ??
                      (subscription.Status is "canceled" or "unpaid" ? subscription.CurrentPeriodEnd ?? subscription.UpdatedAt : null);
        var canPull = individual || endedAt is null || now - StoredTime.Parse(endedAt) <= options.PullGraceAfterEnd;
        return new(tier, tier == Tiers.Individual, canPull, subscription.Status);
    }
}
