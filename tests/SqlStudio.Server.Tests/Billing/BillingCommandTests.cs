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
        Assert.Contains("Created 2 price(s).", first.ToString());
        Assert.Equal(0, secondCode);
        Assert.Contains("Already set up", second.ToString());
        Assert.Single(_stripe.Products);
        Assert.Equal(2, _stripe.Prices.Count);
        Assert.Equal([900L, 9000L], _stripe.Prices.Values.Select(p => p["unit_amount"]!.GetValue<long>()).Order());
        Assert.Contains("Billing__Stripe__Prices__Monthly=price_", second.ToString());
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
