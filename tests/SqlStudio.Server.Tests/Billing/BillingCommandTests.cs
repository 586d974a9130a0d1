using SqlStudio.Testing;

namespace SqlStudio.Server.Tests.Billing;

public sealed class BillingCommandTests : IAsyncLifetime
{
    private FakeStripe _stripe = null!;

    public async Task InitializeAsync() => _stripe = await FakeStripe.StartAsync();

    public async Task DisposeAsync() => await _stripe.DisposeAsync();

    private string[] Config(string data) =>
    [
        $"--Database:Path={Path.Combine(data, "sqlstudio.db")}", $"--Billing:Stripe:SecretKey={FakeStripe.SecretKey}", $"--Billing:Stripe:ApiBase={_stripe.BaseUrl}",
    ];

    [Fact]
    public async Task StripeBootstrap_CreatesProductAndPricesOnce()
    {
        var data = TestServer.NewDataDirectory();
        await using (await TestServer.StartAsync(o => o.DataDirectory = data))
        {
        }

        var first = new StringWriter();
        var firstCode = await OperatorCommands.RunAsync(["stripe-bootstrap", .. Config(data)], first, first);
        var second = new StringWriter();
        var secondCode = await OperatorCommands.RunAsync(["stripe-bootstrap", .. Config(data)], second, second);

        Assert.True(firstCode == 0, first.ToString());
        Assert.Contains("Created 3 object(s)", first.ToString());
        Assert.Equal(0, secondCode);
        Assert.Contains("Already set up", second.ToString());
        Assert.Single(_stripe.Products);
        Assert.Equal(2, _stripe.Prices.Count);
        Assert.Equal([900L, 9000L], _stripe.Prices.Values.Select(p => p["unit_amount"]!.GetValue<long>()).Order());
        Assert.Contains("Billing__Stripe__Prices__Monthly=price_", second.ToString());
        // The customer portal, once: plan switching between the two prices with proration, payment method, invoices,
        // cancel at the end of the period, the legal links.
        var portal = Assert.Single(_stripe.Requests, r => r.Method == "POST" && r.Path == "/v1/billing_portal/configurations").Form;
        Assert.Contains($"Billing__Stripe__PortalConfiguration={_stripe.PortalConfigurations.Keys.Single()}", second.ToString());
        Assert.Equal("true", portal["features[subscription_update][enabled]"]);
        Assert.Equal("price", portal["features[subscription_update][default_allowed_updates][0]"]);
        Assert.Equal("create_prorations", portal["features[subscription_update][proration_behavior]"]);
        Assert.Equal(_stripe.Products.Keys.Single(), portal["features[subscription_update][products][0][product]"]);
        Assert.Equal(_stripe.Prices.Keys.Order(), new[] { portal["features[subscription_update][products][0][prices][0]"], portal["features[subscription_update][products][0][prices][1]"] }.Order());
        Assert.Equal("true", portal["features[payment_method_update][enabled]"]);
        Assert.Equal("true", portal["features[invoice_history][enabled]"]);
        Assert.Equal("at_period_end", portal["features[subscription_cancel][mode]"]);
        Assert.EndsWith("/terms", portal["business_profile[terms_of_service_url]"]);
        Assert.EndsWith("/privacy", portal["business_profile[privacy_policy_url]"]);
    }

    [Fact]
    public async Task BillingResyncAndShow_PullStateFromStripe()
    {
        var data = TestServer.NewDataDirectory();
        string email;
        await using (var server = await TestServer.StartAsync(o =>
        {
            o.DataDirectory = data;
            // The operator command below opens the embedded file the server left behind.
            o.Settings["Database:Provider"] = "sqlite";
            _stripe.Configure(o);
        }))
        {
            var user = await SyncClient.NewUserAsync(server);
            email = user.Tokens.User.Email;
            var response = await user.Http.PostAsync("/api/billing/create-checkout",
                System.Net.Http.Json.JsonContent.Create(new { price_id = FakeStripe.MonthlyPrice }));
            response.EnsureSuccessStatusCode();
            var session = _stripe.Sessions.Values.Single(s => s["client_reference_id"]!.GetValue<string>() == user.Tokens.User.UserId);
            _stripe.Complete(session["id"]!.GetValue<string>(), status: "active");
        }

        var output = new StringWriter();
        var resync = await OperatorCommands.RunAsync(["billing", "resync", email, .. Config(data)], output, output);
        var show = await OperatorCommands.RunAsync(["billing", "show", email, .. Config(data)], output, output);

        Assert.True(resync == 0, output.ToString());
        Assert.Equal(0, show);
        Assert.Contains(": active.", output.ToString());
        Assert.Contains("tier=individual can_push=True", output.ToString());
    }
}
