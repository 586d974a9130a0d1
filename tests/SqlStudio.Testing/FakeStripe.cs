using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace SqlStudio.Testing;

/// <summary>
/// Stripe's API as our server sees it, on loopback: objects shaped from Stripe's own fixtures
/// (<c>Fixtures/stripe/fixtures3.trimmed.json</c>, embedded), form-encoded requests recorded for assertions, and signed
/// webhook payloads built the way Stripe signs them.
/// </summary>
public sealed class FakeStripe : IAsyncDisposable
{
    public const string SecretKey = "sk_test_fake";
    public const string WebhookSecret = "whsec_test_secret";
    public const string MonthlyPrice = "price_monthly_test";
    public const string YearlyPrice = "price_yearly_test";

    private readonly WebApplication _app;
    private readonly JsonObject _fixtures;
    private int _next;

    private FakeStripe(WebApplication app, JsonObject fixtures)
    {
        _app = app;
        _fixtures = fixtures;
    }

    public string BaseUrl { get; private set; } = "";

    public ConcurrentQueue<(string Method, string Path, Dictionary<string, string> Form)> Requests { get; } = new();
    public ConcurrentDictionary<string, JsonObject> Customers { get; } = new();
    public ConcurrentDictionary<string, JsonObject> Sessions { get; } = new();
    public ConcurrentDictionary<string, JsonObject> Subscriptions { get; } = new();

    public ConcurrentDictionary<string, JsonObject> PortalConfigurations { get; } = new();

    /// <summary>Subscription cancellations to answer with a 500 (Stripe unreachable for that call).</summary>
    public int FailNextCancels { get; set; }
    public ConcurrentDictionary<string, JsonObject> Products { get; } = new();
    public ConcurrentDictionary<string, JsonObject> Prices { get; } = new();

    /// <summary>Answers the next GET of a subscription with a 500 (a Stripe outage during a webhook).</summary>
    public int FailNextSubscriptionReads { get; set; }

    public static async Task<FakeStripe> StartAsync()
    {
        var fixtures = JsonNode.Parse(await ReadFixturesAsync())!["resources"]!.AsObject();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        var app = builder.Build();
        var fake = new FakeStripe(app, fixtures);
        app.Use(async (context, next) =>
        {
            if (context.Request.Headers.Authorization != $"Bearer {SecretKey}")
            {
                context.Response.StatusCode = 401;
                await context.Response.WriteAsJsonAsync(new { error = new { type = "invalid_request_error", message = "Invalid API Key provided" } });
                return;
            }
            var form = context.Request.HasFormContentType
                ? (await context.Request.ReadFormAsync()).ToDictionary(f => f.Key, f => f.Value.ToString())
                : context.Request.Query.ToDictionary(q => q.Key, q => q.Value.ToString());
            fake.Requests.Enqueue((context.Request.Method, context.Request.Path.Value!, form));
            context.Items["form"] = form;
            await next(context);
        });
        app.MapPost("/v1/customers", (HttpContext c) => fake.CreateCustomer(Form(c)));
        app.MapPost("/v1/checkout/sessions", (HttpContext c) => fake.CreateSession(Form(c)));
        app.MapGet("/v1/checkout/sessions/{id}", (string id, HttpContext c) => fake.Sessions.TryGetValue(id, out var s) ? Results.Json(fake.Expand(s, Form(c))) : NotFound(id));
        app.MapGet("/v1/subscriptions/{id}", (string id) =>
        {
            if (fake.FailNextSubscriptionReads > 0)
            {
                fake.FailNextSubscriptionReads--;
                return Results.Json(new { error = new { type = "api_error", message = "Something went wrong on Stripe's end." } }, statusCode: 500);
            }
            return fake.Subscriptions.TryGetValue(id, out var s) ? Results.Json(s) : NotFound(id);
        });
        // Canceling a subscription (DELETE, as Stripe's API does): it ends now, and the canceled object comes back.
        app.MapDelete("/v1/subscriptions/{id}", (string id) =>
        {
            if (fake.FailNextCancels > 0)
            {
                fake.FailNextCancels--;
                return Results.Json(new { error = new { type = "api_error", message = "Something went wrong on Stripe's end." } }, statusCode: 500);
            }
            if (!fake.Subscriptions.TryGetValue(id, out var s))
            {
                return NotFound(id);
            }
            var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            s["status"] = "canceled";
            s["canceled_at"] = now;
            s["ended_at"] = now;
            return Results.Json(s);
        });
        app.MapGet("/v1/billing_portal/configurations", () => List(fake.PortalConfigurations.Values));
        app.MapPost("/v1/billing_portal/configurations", (HttpContext c) =>
        {
            var form = Form(c);
            var configuration = fake.Fixture("billing_portal.configuration");
            configuration["id"] = "bpc_" + fake.Next();
            configuration["metadata"] = new JsonObject(form.Where(f => f.Key.StartsWith("metadata[", StringComparison.Ordinal))
                .Select(f => KeyValuePair.Create(f.Key["metadata[".Length..^1], (JsonNode?)f.Value)));
            fake.PortalConfigurations[configuration["id"]!.GetValue<string>()] = configuration;
            return Results.Json(configuration);
        });
        app.MapPost("/v1/billing_portal/sessions", (HttpContext c) => fake.CreatePortal(Form(c)));
        app.MapGet("/v1/invoices", (HttpContext c) =>
        {
            var customer = Form(c).GetValueOrDefault("customer");
            return List(fake.Subscriptions.Values.Where(s => s["customer"]?.GetValue<string>() == customer).Select(s =>
            {
                var invoice = fake.Fixture("invoice");
                invoice["id"] = "in_" + s["id"]!.GetValue<string>();
                invoice["customer"] = customer;
                invoice["amount_paid"] = 900;
                invoice["currency"] = "usd";
                invoice["status"] = "paid";
                invoice["hosted_invoice_url"] = "https://invoice.stripe.test/i/" + s["id"];
                return invoice;
            }));
        });
        app.MapGet("/v1/subscriptions", (HttpContext c) => List(fake.Subscriptions.Values.Where(s => s["customer"]?.GetValue<string>() == Form(c).GetValueOrDefault("customer"))));
        app.MapGet("/v1/prices", (HttpContext c) =>
        {
            var keys = Form(c).Where(f => f.Key.StartsWith("lookup_keys", StringComparison.Ordinal)).Select(f => f.Value).ToHashSet();
            return List(fake.Prices.Values.Where(p => keys.Contains(p["lookup_key"]!.GetValue<string>())));
        });
        app.MapPost("/v1/products", (HttpContext c) =>
        {
            var product = fake.Fixture("product");
            product["id"] = "prod_" + fake.Next();
            product["name"] = Form(c).GetValueOrDefault("name");
            fake.Products[product["id"]!.GetValue<string>()] = product;
            return Results.Json(product);
        });
        app.MapPost("/v1/prices", (HttpContext c) =>
        {
            var form = Form(c);
            var price = fake.Fixture("price");
            price["id"] = "price_" + fake.Next();
            price["product"] = form.GetValueOrDefault("product");
            price["unit_amount"] = long.Parse(form["unit_amount"]);
            price["currency"] = form.GetValueOrDefault("currency");
            price["lookup_key"] = form.GetValueOrDefault("lookup_key");
            price["recurring"] = new JsonObject { ["interval"] = form.GetValueOrDefault("recurring[interval]"), ["interval_count"] = 1, ["usage_type"] = "licensed" };
            fake.Prices[price["id"]!.GetValue<string>()] = price;
            return Results.Json(price);
        });
        await app.StartAsync();
        fake.BaseUrl = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return fake;
    }

    /// <summary>The server settings that turn billing on against this fake.</summary>
    public void Configure(TestServerOptions options)
    {
        options.Settings["Billing:Stripe:SecretKey"] = SecretKey;
        options.Settings["Billing:Stripe:WebhookSecret"] = WebhookSecret;
        options.Settings["Billing:Stripe:ApiBase"] = BaseUrl;
        options.Settings["Billing:Stripe:Prices:Monthly"] = MonthlyPrice;
        options.Settings["Billing:Stripe:Prices:Yearly"] = YearlyPrice;
    }

    /// <summary>What Stripe does when the customer pays at checkout: a subscription, and the session completed.</summary>
    public JsonObject Complete(string sessionId, string status = "trialing", DateTimeOffset? now = null)
    {
        var session = Sessions[sessionId];
        var start = now ?? DateTimeOffset.UtcNow;
        var subscription = Subscription("sub_" + Next(), session["customer"]!.GetValue<string>(), session["__price"]!.GetValue<string>(), status, start,
            session["__trial_days"]?.GetValue<int>());
        session["subscription"] = subscription["id"]!.GetValue<string>();
        session["status"] = "complete";
        session["payment_status"] = status == "trialing" ? "no_payment_required" : "paid";
        return subscription;
    }

    /// <summary>A subscription object from the fixture, with the fields our server reads set.</summary>
    public JsonObject Subscription(string id, string customer, string price, string status, DateTimeOffset start, int? trialDays = null,
        bool cancelAtPeriodEnd = false, DateTimeOffset? periodEnd = null)
    {
        var subscription = Fixture("subscription");
        var end = periodEnd ?? (trialDays is { } days ? start.AddDays(days) : start.AddMonths(1));
        subscription["id"] = id;
        subscription["customer"] = customer;
        subscription["status"] = status;
        subscription["cancel_at_period_end"] = cancelAtPeriodEnd;
        subscription["trial_end"] = trialDays is null ? null : end.ToUnixTimeSeconds();
        subscription["canceled_at"] = status == "canceled" ? start.ToUnixTimeSeconds() : null;
        subscription["ended_at"] = status == "canceled" ? start.ToUnixTimeSeconds() : null;
        var item = Fixture("subscription_item");
        item["current_period_start"] = start.ToUnixTimeSeconds();
        item["current_period_end"] = end.ToUnixTimeSeconds();
        var priceObject = Fixture("price");
        priceObject["id"] = price;
        priceObject["recurring"] = new JsonObject { ["interval"] = price == YearlyPrice ? "year" : "month", ["interval_count"] = 1, ["usage_type"] = "licensed" };
        item["price"] = priceObject;
        subscription["items"] = new JsonObject { ["object"] = "list", ["data"] = new JsonArray(item), ["has_more"] = false, ["url"] = "/v1/subscription_items" };
        Subscriptions[id] = subscription;
        return subscription;
    }

    /// <summary>An event as Stripe sends it, with its <c>Stripe-Signature</c> header.</summary>
    public (string Body, string Signature) Event(string type, JsonObject data, DateTimeOffset created, string? id = null, string secret = WebhookSecret,
        DateTimeOffset? signedAt = null)
    {
        var stripeEvent = Fixture("event");
        stripeEvent["id"] = id ?? "evt_" + Next();
        stripeEvent["type"] = type;
        stripeEvent["created"] = created.ToUnixTimeSeconds();
        stripeEvent["api_version"] = "2026-10-28.endive";
        stripeEvent["data"] = new JsonObject { ["object"] = data.DeepClone() };
        var body = stripeEvent.ToJsonString();
        return (body, Sign(body, secret, signedAt ?? DateTimeOffset.UtcNow));
    }

    public static string Sign(string body, string secret, DateTimeOffset at)
    {
        var t = at.ToUnixTimeSeconds();
        var v1 = Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"{t}.{body}")));
        return $"t={t},v1={v1}";
    }

    public JsonObject Fixture(string name) => (JsonObject)_fixtures[name]!.DeepClone();

    private IResult CreateCustomer(Dictionary<string, string> form)
    {
        var customer = Fixture("customer");
        customer["id"] = "cus_" + Next();
        customer["email"] = form.GetValueOrDefault("email");
        customer["name"] = form.GetValueOrDefault("name");
        Customers[customer["id"]!.GetValue<string>()] = customer;
        return Results.Json(customer);
    }

    private IResult CreateSession(Dictionary<string, string> form)
    {
        var session = Fixture("checkout.session");
        var id = "cs_test_" + Next();
        session["id"] = id;
        session["url"] = $"https://checkout.stripe.test/c/pay/{id}";
        session["mode"] = form.GetValueOrDefault("mode");
        session["customer"] = form.GetValueOrDefault("customer");
        session["client_reference_id"] = form.GetValueOrDefault("client_reference_id");
        session["success_url"] = form.GetValueOrDefault("success_url");
        session["cancel_url"] = form.GetValueOrDefault("cancel_url");
        session["status"] = "open";
        session["subscription"] = null;
        session["__price"] = form.GetValueOrDefault("line_items[0][price]");
        session["__trial_days"] = form.TryGetValue("subscription_data[trial_period_days]", out var days) ? int.Parse(days) : null;
        Sessions[id] = session;
        return Results.Json(Public(session));
    }

    private IResult CreatePortal(Dictionary<string, string> form)
    {
        var portal = Fixture("billing_portal.session");
        portal["id"] = "bps_" + Next();
        portal["customer"] = form.GetValueOrDefault("customer");
        portal["return_url"] = form.GetValueOrDefault("return_url");
        portal["url"] = $"https://billing.stripe.test/p/session/{portal["id"]}";
        return Results.Json(portal);
    }

    private JsonObject Expand(JsonObject session, Dictionary<string, string> query)
    {
        var copy = Public(session);
        if (query.Values.Contains("subscription") && copy["subscription"] is JsonValue id && Subscriptions.TryGetValue(id.GetValue<string>(), out var subscription))
        {
            copy["subscription"] = subscription.DeepClone();
        }
        return copy;
    }

    private static JsonObject Public(JsonObject session)
    {
        var copy = (JsonObject)session.DeepClone();
        copy.Remove("__price");
        copy.Remove("__trial_days");
        return copy;
    }

    private static IResult NotFound(string id) =>
        Results.Json(new { error = new { type = "invalid_request_error", code = "resource_missing", message = $"No such object: '{id}'" } }, statusCode: 404);

    private static IResult List(IEnumerable<JsonObject> items) => Results.Json(new JsonObject
    {
        ["object"] = "list", ["url"] = "/v1/list", ["has_more"] = false,
        ["data"] = new JsonArray(items.Select(i => (JsonNode)i.DeepClone()).ToArray()),
    });

    private static Dictionary<string, string> Form(HttpContext context) => (Dictionary<string, string>)context.Items["form"]!;

    internal string Next() => Interlocked.Increment(ref _next).ToString("D6") + Guid.NewGuid().ToString("N")[..8];

    /// <summary>Stripe's fixtures, trimmed to the objects the fake uses and embedded in this assembly (Fixtures/stripe/README.md).</summary>
    public static async Task<string> ReadFixturesAsync()
    {
        await using var stream = typeof(FakeStripe).Assembly.GetManifestResourceStream("SqlStudio.Testing.Fixtures.stripe.fixtures3.json")
            ?? throw new InvalidOperationException("The embedded Stripe fixtures (Fixtures/stripe/fixtures3.trimmed.json) are missing from SqlStudio.Testing.");
        using var reader = new StreamReader(stream);
        return await reader.ReadToEndAsync();
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
