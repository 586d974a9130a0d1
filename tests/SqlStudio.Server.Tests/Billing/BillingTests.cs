using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Dapper;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using SqlStudio.Contracts;
using SqlStudio.Server.Billing;
using SqlStudio.Testing;

namespace SqlStudio.Server.Tests.Billing;

public sealed class BillingFixture : IAsyncLifetime
{
    public FakeStripe Stripe { get; private set; } = null!;
    public TestServer Server { get; private set; } = null!;
    public FakeTimeProvider Time { get; } = new(DateTimeOffset.UtcNow);

    public async Task InitializeAsync()
    {
        Stripe = await FakeStripe.StartAsync();
        Server = await TestServer.StartAsync(o =>
        {
            Stripe.Configure(o);
            o.Time = Time;
        });
    }

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        await Stripe.DisposeAsync();
    }
}

/// <summary>Billing against a fake Stripe built from Stripe's fixtures, with locally signed webhooks.</summary>
public sealed class BillingTests(BillingFixture fixture) : IClassFixture<BillingFixture>
{
    private FakeStripe Stripe => fixture.Stripe;

    [Fact]
    public async Task Plans_AreNineMonthlyAndNinetyYearlyWithTrial()
    {
        var plans = await fixture.Server.Client.GetFromJsonAsync<List<Plan>>("/api/billing/plans", AuthClient.Json);

        Assert.Equal([("monthly", 900L, "month"), ("yearly", 9000L, "year")], plans!.Select(p => (p.PlanId, p.Amount, p.Interval)));
        Assert.All(plans!, p => Assert.Equal(14, p.TrialDays));
        Assert.Equal(FakeStripe.MonthlyPrice, plans![0].PriceId);
    }

    [Fact]
    public async Task Checkout_SendsExactParameters_ReusesCustomer_RefusesSecondSubscription()
    {
        var user = await SyncClient.NewUserAsync(fixture.Server);

        var first = await CheckoutAsync(user, FakeStripe.MonthlyPrice);
        var again = await CheckoutAsync(user, FakeStripe.YearlyPrice);

        Assert.StartsWith("https://checkout.stripe.test/c/pay/cs_test_", first.CheckoutUrl);
        var sent = Stripe.Requests.Where(r => r.Path == "/v1/checkout/sessions").Select(r => r.Form).TakeLast(2).ToList();
        var form = sent[0];
        Assert.Equal("subscription", form["mode"]);
        Assert.Equal(FakeStripe.MonthlyPrice, form["line_items[0][price]"]);
        Assert.Equal("1", form["line_items[0][quantity]"]);
        Assert.Equal("14", form["subscription_data[trial_period_days]"]);
        Assert.Equal(user.Tokens.User.UserId, form["client_reference_id"]);
        Assert.Equal("true", form["allow_promotion_codes"]);
        Assert.Equal(TestServer.PublicUrl + "/billing/success?session_id={CHECKOUT_SESSION_ID}", form["success_url"]);
        Assert.Equal(TestServer.PublicUrl + "/billing", form["cancel_url"]);
        Assert.Equal("card", form["payment_method_types[0]"]);
        // The trial starts without a card; one that ends with no payment method is canceled, not charged.
        Assert.Equal("if_required", form["payment_method_collection"]);
        Assert.Equal("cancel", form["subscription_data[trial_settings][end_behavior][missing_payment_method]"]);
        Assert.False(form.ContainsKey("automatic_tax[enabled]"));
        Assert.Equal("us_bank_account", form["payment_method_types[1]"]);
        Assert.Equal(form["customer"], sent[1]["customer"]);
        Assert.Single(Stripe.Requests, r => r.Path == "/v1/customers" && r.Form["metadata[user_id]"] == user.Tokens.User.UserId);

        Stripe.Complete(first.SessionId);
        await fixture.Server.Services.GetRequiredService<BillingService>().FulfilFromSessionAsync(user.Tokens.User.UserId, first.SessionId, default);
        var refused = await user.Http.PostAsJsonAsync("/api/billing/create-checkout", new { price_id = FakeStripe.YearlyPrice });
        var unknown = await user.Http.PostAsJsonAsync("/api/billing/create-checkout", new { price_id = "price_bogus" });

        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Equal("already_subscribed", (await AuthClient.ProblemAsync(refused)).GetProperty("code").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
    }

    [Fact]
    public async Task Checkout_WithAutomaticTax_AsksStripeTaxAndCollectsTheAddress()
    {
        await using var server = await TestServer.StartAsync(o =>
        {
            Stripe.Configure(o);
            o.Settings["Billing:Stripe:AutomaticTax"] = "true";
        });
        var user = await SyncClient.NewUserAsync(server);

        var response = await user.Http.PostAsJsonAsync("/api/billing/create-checkout", new { price_id = FakeStripe.MonthlyPrice });
        var checkout = (await response.Content.ReadFromJsonAsync<CheckoutResponse>(AuthClient.Json))!;
        var form = Stripe.Requests.Last(r => r.Path == "/v1/checkout/sessions").Form;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(checkout.SessionId, Stripe.Sessions.Keys.Single(k => k == checkout.SessionId));
        Assert.Equal("true", form["automatic_tax[enabled]"]);
        Assert.Equal("required", form["billing_address_collection"]);
        Assert.Equal("auto", form["customer_update[address]"]);
    }

    [Fact]
    public async Task StripeUnreachable_CheckoutIs503PaymentsUnavailable_NeverA500()
    {
        await using var server = await TestServer.StartAsync(o =>
        {
            Stripe.Configure(o);
            o.Settings["Billing:Stripe:ApiBase"] = $"http://127.0.0.1:{Loopback.FreePort()}";
        });
        var user = await SyncClient.NewUserAsync(server);

        var response = await user.Http.PostAsJsonAsync("/api/billing/create-checkout", new { price_id = FakeStripe.MonthlyPrice });

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("payments_unavailable", (await AuthClient.ProblemAsync(response)).GetProperty("code").GetString());
        Assert.NotNull(response.Headers.RetryAfter);
    }

    [Fact]
    public async Task Portal_ReturnsToBillingPage_NoCustomerIs404()
    {
        var user = await SyncClient.NewUserAsync(fixture.Server);
        var none = await user.Http.GetAsync("/api/billing/portal");
        await CheckoutAsync(user, FakeStripe.MonthlyPrice);

        var portal = await user.GetAsync<PortalResponse>("/api/billing/portal");

        Assert.Equal(HttpStatusCode.NotFound, none.StatusCode);
        Assert.Equal("no_customer", (await AuthClient.ProblemAsync(none)).GetProperty("code").GetString());
        Assert.StartsWith("https://billing.stripe.test/p/session/", portal.Url);
        Assert.Equal(TestServer.PublicUrl + "/billing", Stripe.Requests.Last(r => r.Path == "/v1/billing_portal/sessions").Form["return_url"]);
    }

    [Fact]
    public async Task SuccessPage_Fulfilment_ChangesTierAtOnce_ThenWebhookChangesNothingMore()
    {
        var user = await SyncClient.NewUserAsync(fixture.Server);
        var checkout = await CheckoutAsync(user, FakeStripe.YearlyPrice);
        var subscription = Stripe.Complete(checkout.SessionId);

        await fixture.Server.Services.GetRequiredService<BillingService>().FulfilFromSessionAsync(user.Tokens.User.UserId, checkout.SessionId, default);
        var state = await user.GetAsync<SubscriptionResponse>("/api/billing/subscription");
        var webhook = await DeliverAsync(Stripe.Event("checkout.session.completed", Stripe.Sessions[checkout.SessionId], DateTimeOffset.UtcNow));

        Assert.Equal(Tiers.Individual, state.Tier);
        Assert.Equal("trialing", state.Status);
        Assert.Equal("yearly", state.PlanId);
        Assert.Equal(HttpStatusCode.OK, webhook.StatusCode);
        Assert.Equal(1L, await ScalarAsync("SELECT count(*) FROM subscriptions WHERE stripe_subscription_id = @id", new { id = subscription["id"]!.GetValue<string>() }));
        await fixture.Server.Mailbox.WaitForAsync(user.Tokens.User.Email, "trial has started");
        Assert.Single(fixture.Server.Mailbox.All(user.Tokens.User.Email), m => m.Subject!.Contains("trial has started"));
    }

    [Theory]
    [InlineData("wrong-secret")]
    [InlineData("altered-body")]
    [InlineData("too-old")]
    [InlineData("malformed")]
    [InlineData("missing")]
    public async Task Webhook_BadSignature_Returns400(string defect)
    {
        var (body, signature) = Stripe.Event("customer.subscription.updated", Stripe.Fixture("subscription"), DateTimeOffset.UtcNow,
            secret: defect == "wrong-secret" ? "whsec_other" : FakeStripe.WebhookSecret,
            signedAt: defect == "too-old" ? fixture.Time.GetUtcNow().AddSeconds(-301) : fixture.Time.GetUtcNow());
        if (defect == "altered-body")
        {
            body = body.Replace("\"status\":", "\"status\" :");
        }
        var header = defect switch { "malformed" => "v1=abc,t=notanumber", "missing" => null, _ => signature };

        var response = await PostWebhookAsync(body, header);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("signature_invalid", (await AuthClient.ProblemAsync(response)).GetProperty("code").GetString());
    }

    [Fact]
    public async Task Webhook_TwoV1Signatures_OneValid_IsAccepted()
    {
        var (body, signature) = Stripe.Event("product.updated", Stripe.Fixture("product"), DateTimeOffset.UtcNow, signedAt: fixture.Time.GetUtcNow());
        var header = signature + ",v1=" + new string('0', 64);

        var response = await PostWebhookAsync(body, header);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("{\"received\":true}", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Webhook_SameEventThreeTimes_OneEffectOneEmail_ConcurrentTwice_OneEffect()
    {
        var (user, customer) = await CustomerAsync();
        var subscription = Stripe.Subscription("sub_dup" + Guid.NewGuid().ToString("N")[..6], customer, FakeStripe.MonthlyPrice, "trialing", DateTimeOffset.UtcNow, 14);
        var delivery = Stripe.Event("customer.subscription.created", subscription, DateTimeOffset.UtcNow, signedAt: fixture.Time.GetUtcNow());

        var responses = new List<HttpResponseMessage>();
        for (var i = 0; i < 3; i++)
        {
            responses.Add(await DeliverAsync(delivery));
        }
        var concurrent = Stripe.Event("invoice.payment_failed", Invoice(customer, 900), DateTimeOffset.UtcNow, signedAt: fixture.Time.GetUtcNow());
        var both = await Task.WhenAll(DeliverAsync(concurrent), DeliverAsync(concurrent));

        Assert.All(responses.Concat(both), r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        await fixture.Server.Mailbox.WaitForAsync(user.Email, "trial has started");
        await fixture.Server.Mailbox.WaitForAsync(user.Email, "did not go through");
        var mails = fixture.Server.Mailbox.All(user.Email);
        Assert.Single(mails, m => m.Subject!.Contains("trial has started"));
        Assert.Single(mails, m => m.Subject!.Contains("did not go through"));
        Assert.Equal(1L, await ScalarAsync("SELECT count(*) FROM subscriptions WHERE user_id = @UserId", new { user.UserId }));
    }

    [Fact]
    public async Task Webhook_AtMostThreeDatabaseRoundTrips()
    {
        var (_, customer) = await CustomerAsync();
        var subscription = Stripe.Subscription("sub_rt" + Guid.NewGuid().ToString("N")[..6], customer, FakeStripe.MonthlyPrice, "trialing", DateTimeOffset.UtcNow, 14);

        var created = await DeliverAsync(Stripe.Event("customer.subscription.created", subscription, DateTimeOffset.UtcNow, signedAt: fixture.Time.GetUtcNow()));
        var paid = await DeliverAsync(Stripe.Event("invoice.paid", Invoice(customer, 900), DateTimeOffset.UtcNow, signedAt: fixture.Time.GetUtcNow()));

        foreach (var response in new[] { created, paid })
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var trips = int.Parse(response.Headers.GetValues("X-Db-Round-Trips").Single());
            // One read batch, one write batch (the email goes out after, without a database read).
            Assert.InRange(trips, TestServer.UseLibSql ? 1 : 0, TestServer.UseLibSql ? 3 : 0);
        }
    }

    [Fact]
    public async Task Webhook_OutOfOrder_OlderEventNeverOverwritesNewer()
    {
        var (user, customer) = await CustomerAsync();
        var id = "sub_order" + Guid.NewGuid().ToString("N")[..6];
        var start = DateTimeOffset.UtcNow;
        var created = Stripe.Subscription(id, customer, FakeStripe.MonthlyPrice, "trialing", start, 14);
        var updated = Stripe.Subscription(id, customer, FakeStripe.MonthlyPrice, "active", start);
        var deleted = Stripe.Subscription(id, customer, FakeStripe.MonthlyPrice, "canceled", start);

        // `updated` arrives before `created`; `deleted` arrives before a stale `updated`.
        await DeliverAsync(Stripe.Event("customer.subscription.updated", updated, start.AddSeconds(10), signedAt: fixture.Time.GetUtcNow()));
        await DeliverAsync(Stripe.Event("customer.subscription.created", created, start, signedAt: fixture.Time.GetUtcNow()));
        Assert.Equal("active", await StatusAsync(id));
        await DeliverAsync(Stripe.Event("customer.subscription.deleted", deleted, start.AddSeconds(30), signedAt: fixture.Time.GetUtcNow()));
        await DeliverAsync(Stripe.Event("customer.subscription.updated", updated, start.AddSeconds(20), signedAt: fixture.Time.GetUtcNow()));

        Assert.Equal("canceled", await StatusAsync(id));
        await fixture.Server.Mailbox.WaitForAsync(user.Email, "has ended");
    }

    [Fact]
    public async Task Webhook_InvoiceBeforeCheckoutCompleted_BothAcknowledged_SubscriptionActive()
    {
        var user = await SyncClient.NewUserAsync(fixture.Server);
        var checkout = await CheckoutAsync(user, FakeStripe.MonthlyPrice);
        var customer = Stripe.Sessions[checkout.SessionId]["customer"]!.GetValue<string>();
        var subscription = Stripe.Complete(checkout.SessionId, status: "active");

        var invoice = await DeliverAsync(Stripe.Event("invoice.paid", Invoice(customer, 900), DateTimeOffset.UtcNow, signedAt: fixture.Time.GetUtcNow()));
        var completed = await DeliverAsync(Stripe.Event("checkout.session.completed", Stripe.Sessions[checkout.SessionId], DateTimeOffset.UtcNow, signedAt: fixture.Time.GetUtcNow()));

        Assert.Equal(HttpStatusCode.OK, invoice.StatusCode);
        Assert.Equal(HttpStatusCode.OK, completed.StatusCode);
        Assert.Equal("active", await StatusAsync(subscription["id"]!.GetValue<string>()));
        Assert.Equal(Tiers.Individual, (await user.GetAsync<SubscriptionResponse>("/api/billing/subscription")).Tier);
    }

    [Fact]
    public async Task Webhook_HandlerFailure_Returns500_RetrySucceeds()
    {
        var user = await SyncClient.NewUserAsync(fixture.Server);
        var checkout = await CheckoutAsync(user, FakeStripe.MonthlyPrice);
        Stripe.Complete(checkout.SessionId);
        var delivery = Stripe.Event("checkout.session.completed", Stripe.Sessions[checkout.SessionId], DateTimeOffset.UtcNow, signedAt: fixture.Time.GetUtcNow());
        // More failures than Stripe.net's own retries (2): the handler sees the outage.
        Stripe.FailNextSubscriptionReads = 3;

        var failed = await DeliverAsync(delivery);
        var recorded = await ScalarAsync("SELECT count(*) FROM stripe_events WHERE event_id = @id",
            new { id = JsonNode.Parse(delivery.Body)!["id"]!.GetValue<string>() });
        var retried = await DeliverAsync(delivery);

        Assert.Equal(HttpStatusCode.InternalServerError, failed.StatusCode);
        Assert.Equal(0L, recorded);
        Assert.Equal(HttpStatusCode.OK, retried.StatusCode);
        Assert.Equal(Tiers.Individual, (await user.GetAsync<SubscriptionResponse>("/api/billing/subscription")).Tier);
    }

    [Fact]
    public async Task EndToEnd_FreePushRefused_Subscribe_PushOk_Cancel_PushRefusedPullAllowed_ThenPullRefused()
    {
        var user = await SyncClient.NewUserAsync(fixture.Server);
        var tab = SyncClient.Upsert("query_tabs", "t", 0, "2026-11-20T10:00:00Z", new JsonObject { ["title"] = "x" });
        var refused = await user.PushRawAsync("d", [tab]);
        Assert.Equal(HttpStatusCode.PaymentRequired, refused.StatusCode);
        Assert.Equal("subscription_required", (await AuthClient.ProblemAsync(refused)).GetProperty("code").GetString());

        var checkout = await CheckoutAsync(user, FakeStripe.MonthlyPrice);
        var subscription = Stripe.Complete(checkout.SessionId, now: fixture.Time.GetUtcNow());
        var customer = subscription["customer"]!.GetValue<string>();
        var id = subscription["id"]!.GetValue<string>();
        await DeliverAsync(Stripe.Event("checkout.session.completed", Stripe.Sessions[checkout.SessionId], fixture.Time.GetUtcNow(), signedAt: fixture.Time.GetUtcNow()));
        Assert.Equal(MutationStatus.Applied, (await user.PushAsync("d", tab)).Results[0].Status);

        // Cancelled at period end: still Individual until the period ends.
        var periodEnd = fixture.Time.GetUtcNow().AddDays(14);
        var cancelling = Stripe.Subscription(id, customer, FakeStripe.MonthlyPrice, "trialing", fixture.Time.GetUtcNow(), 14, cancelAtPeriodEnd: true, periodEnd: periodEnd);
        await DeliverAsync(Stripe.Event("customer.subscription.updated", cancelling, fixture.Time.GetUtcNow().AddSeconds(5), signedAt: fixture.Time.GetUtcNow()));
        Assert.Equal(MutationStatus.Applied, (await user.PushAsync("d", SyncClient.Upsert("query_tabs", "t2", 0, "2026-11-20T10:00:00Z", new JsonObject { ["title"] = "y" }))).Results[0].Status);

        fixture.Time.Advance(TimeSpan.FromDays(15));
        var ended = Stripe.Subscription(id, customer, FakeStripe.MonthlyPrice, "canceled", fixture.Time.GetUtcNow());
        await DeliverAsync(Stripe.Event("customer.subscription.deleted", ended, fixture.Time.GetUtcNow(), signedAt: fixture.Time.GetUtcNow()));
        user = SyncClient.For(fixture.Server, await new AuthClient(fixture.Server).LoginAsync(user.Tokens.User.Email));
        Assert.Equal(HttpStatusCode.PaymentRequired, (await user.PushRawAsync("d", [SyncClient.Upsert("query_tabs", "t3", 0, "2026-11-20T10:00:00Z", new JsonObject { ["title"] = "z" })])).StatusCode);
        Assert.Equal(2, (await user.PullAllAsync()).Records.Count);

        fixture.Time.Advance(TimeSpan.FromDays(31));
        user = SyncClient.For(fixture.Server, await new AuthClient(fixture.Server).LoginAsync(user.Tokens.User.Email));
        Assert.Equal(HttpStatusCode.PaymentRequired, (await user.Http.GetAsync("/api/sync/changes")).StatusCode);
    }

    private async Task<CheckoutResponse> CheckoutAsync(SyncClient user, string price)
    {
        var response = await user.Http.PostAsJsonAsync("/api/billing/create-checkout", new { price_id = price });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<CheckoutResponse>(AuthClient.Json))!;
    }

    /// <summary>Every order of delivery of two subscriptions' events (an old one that ends, a new one that is active).</summary>
    public static TheoryData<int> Orders()
    {
        var data = new TheoryData<int>();
        for (var i = 0; i < 24; i++)
        {
            data.Add(i);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Orders))]
    public async Task TwoSubscriptions_AnyDeliveryOrder_EndsOnStripesState_PayingUserNeverLockedOut(int order)
    {
        var (user, customer) = await CustomerUserAsync();
        var start = DateTimeOffset.UtcNow.AddHours(-1);
        var old = "sub_old" + Guid.NewGuid().ToString("N")[..6];
        var current = "sub_new" + Guid.NewGuid().ToString("N")[..6];
        var events = new List<(string Body, string Signature)>
        {
            Stripe.Event("customer.subscription.created", Stripe.Subscription(old, customer, FakeStripe.MonthlyPrice, "active", start), start, signedAt: fixture.Time.GetUtcNow()),
            Stripe.Event("customer.subscription.deleted", Stripe.Subscription(old, customer, FakeStripe.MonthlyPrice, "canceled", start.AddSeconds(5)), start.AddSeconds(5), signedAt: fixture.Time.GetUtcNow()),
            Stripe.Event("customer.subscription.created", Stripe.Subscription(current, customer, FakeStripe.MonthlyPrice, "trialing", start.AddSeconds(10), 14), start.AddSeconds(10), signedAt: fixture.Time.GetUtcNow()),
            Stripe.Event("customer.subscription.updated", Stripe.Subscription(current, customer, FakeStripe.MonthlyPrice, "active", start.AddSeconds(10)), start.AddSeconds(20), signedAt: fixture.Time.GetUtcNow()),
        };

        foreach (var index in Permutation(order, events.Count))
        {
            Assert.Equal(HttpStatusCode.OK, (await DeliverAsync(events[index])).StatusCode);
        }

        Assert.Equal("canceled", await StatusAsync(old));
        Assert.Equal("active", await StatusAsync(current));
        Assert.Equal(Tiers.Individual, (await user.GetAsync<SubscriptionResponse>("/api/billing/subscription")).Tier);
        var push = await user.PushAsync("d", SyncClient.Upsert("saved_queries", "q", 0, "2026-11-20T10:00:00Z", new JsonObject { ["title"] = "t", ["sql"] = "s" }));
        Assert.Equal(MutationStatus.Applied, push.Results.Single().Status);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task SameSecond_DeletedAndUpdated_AskStripe_EndOnItsState(bool deletedFirst)
    {
        var (user, customer) = await CustomerUserAsync();
        var at = DateTimeOffset.UtcNow.AddMinutes(-5);
        var id = "sub_tie" + Guid.NewGuid().ToString("N")[..6];
        var active = Stripe.Subscription(id, customer, FakeStripe.MonthlyPrice, "active", at);
        var canceled = Stripe.Subscription(id, customer, FakeStripe.MonthlyPrice, "canceled", at); // Stripe's state now
        var deleted = Stripe.Event("customer.subscription.deleted", canceled, at, signedAt: fixture.Time.GetUtcNow());
        var updated = Stripe.Event("customer.subscription.updated", active, at, signedAt: fixture.Time.GetUtcNow());
        var readsBefore = Stripe.Requests.Count(r => r.Method == "GET" && r.Path == $"/v1/subscriptions/{id}");

        foreach (var delivery in deletedFirst ? new[] { deleted, updated } : [updated, deleted])
        {
            Assert.Equal(HttpStatusCode.OK, (await DeliverAsync(delivery)).StatusCode);
        }

        Assert.Equal("canceled", await StatusAsync(id));
        Assert.Equal(Tiers.Free, (await user.GetAsync<SubscriptionResponse>("/api/billing/subscription")).Tier);
        Assert.True(Stripe.Requests.Count(r => r.Method == "GET" && r.Path == $"/v1/subscriptions/{id}") > readsBefore);
    }

    public static TheoryData<string> MalformedEvents() => new()
    {
        "this is not json",
        "[]",
        "{}",
        """{"id":"evt_1","object":"event","type":"customer.subscription.updated","created":1700000000,"data":{"object":null}}""",
        """{"id":"evt_2","object":"event","type":"customer.subscription.updated","created":1700000000,"data":{"object":{"object":"invoice","id":"in_1"}}}""",
        """{"id":"evt_3","object":"event","type":"invoice.paid","created":1700000000,"data":{"object":"text"}}""",
        """{"id":"evt_4","object":"event","type":"checkout.session.completed","created":1700000000,"data":7}""",
        """{"id":"evt_5","object":"event","type":"invoice.paid","created":1700000000,"data":{"object":""" + new string('[', 5000) + new string(']', 5000) + "}}",
    };

    [Theory]
    [MemberData(nameof(MalformedEvents))]
    public async Task Webhook_SignedButMalformed_AcknowledgedNeverA500(string body)
    {
        var response = await PostWebhookAsync(body, FakeStripe.Sign(body, FakeStripe.WebhookSecret, fixture.Time.GetUtcNow()));

        Assert.True((int)response.StatusCode is >= 200 and < 500, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }

    private static int[] Permutation(int index, int count)
    {
        var left = Enumerable.Range(0, count).ToList();
        var result = new int[count];
        for (var i = 0; i < count; i++)
        {
            var factorial = Enumerable.Range(1, count - 1 - i).Aggregate(1, (a, b) => a * b);
            result[i] = left[index / factorial];
            left.RemoveAt(index / factorial);
            index %= factorial;
        }
        return result;
    }

    private async Task<(SyncClient User, string Customer)> CustomerUserAsync()
    {
        var user = await SyncClient.NewUserAsync(fixture.Server);
        var checkout = await CheckoutAsync(user, FakeStripe.MonthlyPrice);
        return (user, Stripe.Sessions[checkout.SessionId]["customer"]!.GetValue<string>());
    }

    private async Task<(UserSummary User, string Customer)> CustomerAsync()
    {
        var user = await SyncClient.NewUserAsync(fixture.Server);
        var checkout = await CheckoutAsync(user, FakeStripe.MonthlyPrice);
        return (user.Tokens.User, Stripe.Sessions[checkout.SessionId]["customer"]!.GetValue<string>());
    }

    private JsonObject Invoice(string customer, long amount)
    {
        var invoice = Stripe.Fixture("invoice");
        invoice["id"] = "in_" + Guid.NewGuid().ToString("N")[..10];
        invoice["customer"] = customer;
        invoice["amount_paid"] = amount;
        invoice["currency"] = "usd";
        invoice["hosted_invoice_url"] = "https://invoice.stripe.test/i/1";
        return invoice;
    }

    private Task<HttpResponseMessage> DeliverAsync((string Body, string Signature) delivery) => PostWebhookAsync(delivery.Body, delivery.Signature);

    private async Task<HttpResponseMessage> PostWebhookAsync(string body, string? signature)
    {
        using var client = fixture.Server.CreateClient();
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/webhooks/stripe") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (signature is not null)
        {
            request.Headers.TryAddWithoutValidation("Stripe-Signature", signature);
        }
        return await client.SendAsync(request);
    }

    private async Task<string?> StatusAsync(string subscriptionId) =>
        await QueryAsync<string>("SELECT status FROM subscriptions WHERE stripe_subscription_id = @subscriptionId", new { subscriptionId });

    private async Task<long> ScalarAsync(string sql, object args) => await QueryAsync<long>(sql, args);

    private async Task<T?> QueryAsync<T>(string sql, object args)
    {
        await using var db = new SqliteConnection($"Data Source={fixture.Server.DatabasePath};Pooling=False");
        return await db.ExecuteScalarAsync<T>(sql, args);
    }
}
