using Microsoft.Playwright;
using SqlStudio.Testing;

namespace SqlStudio.Browser.Tests;

/// <summary>A server with billing on, against the fake Stripe.</summary>
public sealed class BillingBrowserFixture : BrowserFixture
{
    public FakeStripe Stripe { get; private set; } = null!;

    protected override async Task<TestServer> StartServerAsync()
    {
        Stripe = await FakeStripe.StartAsync();
        return await TestServer.StartAsync(Stripe.Configure);
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await Stripe.DisposeAsync();
    }
}

public sealed class BillingPagesTests(BillingBrowserFixture fixture) : IClassFixture<BillingBrowserFixture>
{
    [Fact]
    public async Task Landing_WithBilling_OffersTheTrialAndThePlans()
    {
        var page = await fixture.NewPageAsync();

        await page.GotoAsync("/");

        Assert.True(await page.GetByRole(AriaRole.Button, new() { Name = "Start a 14-day free trial" }).IsVisibleAsync());
        Assert.Contains("$90", await page.Locator("body").InnerTextAsync());
    }

    [Fact]
    public async Task Billing_ShowsBothPlans_CheckoutRedirects_SuccessShowsIndividual()
    {
        var email = AuthClient.NewEmail("billing");
        await new AuthClient(fixture.Server).RegisterVerifiedAsync(email);
        var page = await fixture.NewPageAsync();
        // Stripe's hosted checkout, played here: the customer pays and Stripe sends them to the success URL.
        await page.RouteAsync("https://checkout.stripe.test/**", async route =>
        {
            var sessionId = route.Request.Url.Split('/').Last();
            fixture.Stripe.Complete(sessionId);
            var success = fixture.Stripe.Sessions[sessionId]["success_url"]!.GetValue<string>()
                .Replace(TestServer.PublicUrl, fixture.Server.BaseAddress.ToString().TrimEnd('/'))
                .Replace("{CHECKOUT_SESSION_ID}", sessionId);
            await route.FulfillAsync(new() { Status = 302, Headers = new Dictionary<string, string> { ["Location"] = success } });
        });
        await page.GotoAsync("/login?ReturnUrl=%2Fbilling");
        await page.GetByLabel("Email").FillAsync(email);
        await page.GetByLabel("Password").FillAsync(AuthClient.Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();

        await Assertions.Expect(page.Locator("[data-plan=monthly]")).ToContainTextAsync("$9");
        await Assertions.Expect(page.Locator("[data-plan=yearly]")).ToContainTextAsync("$90");
        await Assertions.Expect(page.Locator("[data-plan=yearly]")).ToContainTextAsync("Save 17%");
        await Assertions.Expect(page.Locator("[data-tier]")).ToContainTextAsync("Free");
        await page.Locator("[data-plan=yearly]").GetByRole(AriaRole.Button, new() { Name = "Start 14-day trial" }).ClickAsync();

        // Stripe calls lie between the click and this heading (the customer and the session made, then the session read back with its
        // subscription), each the server's first of its kind: 1.7 s on an idle machine, over Playwright's 5 s default
        // while the other suites start their databases on the same two cores. A person's browser waits far longer.
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("You're on the Individual plan", new() { Timeout = 30_000 });
        await Assertions.Expect(page.Locator("[data-tier=individual]")).ToContainTextAsync("Your trial has started.");
        await page.GotoAsync("/billing");
        await Assertions.Expect(page.Locator("[data-tier=individual]")).ToContainTextAsync("trial");
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Manage billing, payment method and invoices" })).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("[data-invoices]")).ToContainTextAsync("9.00 USD");
    }
}
