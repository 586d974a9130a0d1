using SqlStudio.Contracts;
using SqlStudio.Server.Billing;
using SqlStudio.Server.Data;

namespace SqlStudio.Server.Tests.Billing;

/// <summary>The tier for every Stripe status, the past-due grace and cancel-at-period-end.</summary>
public sealed class EntitlementTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);
    private static readonly BillingOptions Options = new();

    [Theory]
    [InlineData("trialing", 0, null, null, "individual", true, true)]
    [InlineData("active", 0, null, null, "individual", true, true)]
    [InlineData("active", 1, 5, null, "individual", true, true)]
    [InlineData("active", 1, -1, null, "free", false, true)]
    [InlineData("past_due", 0, null, -6, "individual", true, true)]
    [InlineData("past_due", 0, null, -8, "free", false, true)]
    [InlineData("canceled", 1, 3, null, "individual", true, true)]
    [InlineData("canceled", 0, -10, null, "free", false, true)]
    [InlineData("canceled", 0, -31, null, "free", false, false)]
    [InlineData("unpaid", 0, -1, null, "free", false, true)]
    [InlineData("incomplete", 0, null, null, "free", false, true)]
    [InlineData("incomplete_expired", 0, null, null, "free", false, true)]
    [InlineData("paused", 0, null, null, "free", false, true)]
    public void Evaluate_Status_GivesTier(string status, int cancelAtPeriodEnd, int? periodEndDays, int? pastDueDays, string tier, bool push, bool pull)
    {
        var periodEnd = periodEndDays is { } d ? StoredTime.Format(Now.AddDays(d)) : null;
        var ended = status == "canceled" && cancelAtPeriodEnd == 0 ? periodEnd : null;
        var row = new SubscriptionRow("s", "u", "sub", "cus", status, "price", "monthly", null, null, periodEnd, cancelAtPeriodEnd, ended, ended,
            pastDueDays is { } p ? StoredTime.Format(Now.AddDays(p)) : null, 0, StoredTime.Format(Now.AddDays(-40)));

        var entitlement = Entitlements.Evaluate(row, emailVerified: true, billingEnabled: true, Now, Options);

        Assert.Equal((tier, push, pull), (entitlement.Tier, entitlement.CanPush, entitlement.CanPull));
    }

    [Fact]
    public void Evaluate_NoSubscription_IsFreeButMayPull()
    {
        var entitlement = Entitlements.Evaluate(null, true, true, Now, Options);

        Assert.Equal((Tiers.Free, false, true), (entitlement.Tier, entitlement.CanPush, entitlement.CanPull));
    }

    [Theory]
    [InlineData(true, "individual")]
    [InlineData(false, "free")]
    public void Evaluate_SelfHosted_VerifiedIsIndividual(bool verified, string tier)
    {
        Assert.Equal(tier, Entitlements.Evaluate(null, verified, billingEnabled: false, Now, Options).Tier);
    }
}

public sealed class SelfHostedBillingTests(SqlStudio.Testing.ServerFixture fixture) : IClassFixture<SqlStudio.Testing.ServerFixture>
{
    [Fact]
    public async Task SelfHosted_BillingEndpointsAnswer503_VerifiedAccountIsIndividual()
    {
        var user = await SqlStudio.Testing.SyncClient.NewUserAsync(fixture.Server);

        var checkout = await user.Http.PostAsync("/api/billing/create-checkout",
            System.Net.Http.Json.JsonContent.Create(new { price_id = "price_monthly" }));
        var portal = await user.Http.GetAsync("/api/billing/portal");
        var state = await user.GetAsync<SubscriptionResponse>("/api/billing/subscription");
        var page = await fixture.Server.Client.GetAsync("/billing");

        Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, checkout.StatusCode);
        Assert.Equal("billing_disabled", (await SqlStudio.Testing.AuthClient.ProblemAsync(checkout)).GetProperty("code").GetString());
        Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, portal.StatusCode);
        Assert.Equal(Tiers.Individual, state.Tier);
        Assert.Equal(System.Net.HttpStatusCode.Redirect, page.StatusCode);
    }
}
