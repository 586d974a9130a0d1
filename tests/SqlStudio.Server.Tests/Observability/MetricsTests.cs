using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using SqlStudio.Testing;
using static SqlStudio.Testing.SyncClient;

namespace SqlStudio.Server.Tests.Observability;

/// <summary>
/// <c>GET /metrics</c> (issue #14): real traffic of each kind, successes and failures, then every family docs/operations.md lists is in
/// the scrape with its labels, the failure codes are counted, promtool accepts the text, and <c>Metrics:Token</c> guards it.
/// It runs alone: instruments are process-wide, and other tests' servers would add their own counts.
/// </summary>
[Collection(Web.FuzzTests.Alone)]
public sealed class MetricsTests
{
    private const string Token = "scrape-secret-1";

    private static JsonObject Query(string id, string title, long baseVersion = 0) =>
        Upsert("saved_queries", id, baseVersion, "2026-11-20T10:00:00Z", new JsonObject { ["title"] = title, ["sql"] = "select 1" });

    [Fact]
    public async Task AfterRealTraffic_EveryFamilyIsExposed_WithFailureCodes_AndPromtoolAcceptsIt()
    {
        await using var stripe = await FakeStripe.StartAsync();
        await using var server = await TestServer.StartAsync(o =>
        {
            o.Settings["Metrics:Token"] = Token;
            o.Settings["Auth:RefreshReuseGrace"] = "00:00:00";
            stripe.Configure(o);
        });
        var api = new AuthClient(server);
        var user = await NewUserAsync(server);
        // Billing on: the user subscribes through Stripe's checkout, and the webhook (verified) says so.
        var checkout = await (await user.Http.PostAsync("/api/billing/create-checkout",
            System.Net.Http.Json.JsonContent.Create(new { price_id = FakeStripe.MonthlyPrice }))).Content.ReadFromJsonAsync<JsonObject>();
        var sessionId = checkout!["session_id"]!.GetValue<string>();
        stripe.Complete(sessionId, status: "active");
        var (body, signature) = stripe.Event("checkout.session.completed", stripe.Sessions[sessionId], DateTimeOffset.UtcNow);
        using (var webhook = new HttpRequestMessage(HttpMethod.Post, "/api/webhooks/stripe") { Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json") })
        {
            webhook.Headers.TryAddWithoutValidation("Stripe-Signature", signature);
            Assert.Equal(HttpStatusCode.OK, (await server.Client.SendAsync(webhook)).StatusCode);
        }
        // Logins: one good, one wrong password.
        await api.LoginAsync(user.Tokens.User.Email);
        await api.PostAsync("/api/auth/login", new { email = user.Tokens.User.Email, password = "Wrong-password-1" });
        // A refresh token used twice: reuse.
        var fresh = await api.LoginAsync(user.Tokens.User.Email);
        (await api.PostAsync("/api/auth/refresh", new { refresh_token = fresh.RefreshToken })).EnsureSuccessStatusCode();
        await api.PostAsync("/api/auth/refresh", new { refresh_token = fresh.RefreshToken });
        // Sync: a stream hears a push (propagation), a conflict, a failed push, pulls and a head.
        await using (var stream = await EventStream.OpenAsync(server, user.Tokens.AccessToken))
        {
            await stream.NextEventAsync();
            using var push = new HttpRequestMessage(HttpMethod.Post, "/api/sync/push")
            {
                Content = System.Net.Http.Json.JsonContent.Create(new JsonObject
                {
                    ["device_id"] = "laptop", ["pending"] = 3, ["mutations"] = new JsonArray(Query("q1", "first")),
                }),
            };
            (await user.Http.SendAsync(push)).EnsureSuccessStatusCode();
            await stream.NextEventAsync();
        }
        await user.PushAsync("desktop", Query("q1", "concurrent edit"));
        var invalid = await user.Http.PostAsync("/api/sync/push", System.Net.Http.Json.JsonContent.Create(new { device_id = "x y", mutations = Array.Empty<object>() }));
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
        await user.PullAllAsync();
        await user.Http.GetAsync("/api/sync/head");
        // Billing: a webhook that does not verify.
        Assert.Equal(HttpStatusCode.BadRequest, (await server.Client.PostAsync("/api/webhooks/stripe", new StringContent("{}"))).StatusCode);

        // The subscription counts refresh once a minute; this scrape should see this one.
        await server.Services.GetRequiredService<SqlStudio.Server.Billing.BillingMetrics>().RefreshAsync();
        await server.Services.GetRequiredService<SqlStudio.Server.Beta.LaunchMetrics>().RefreshAsync();
        var unauthorized = await server.Client.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.Unauthorized, unauthorized.StatusCode);
        Assert.Equal("unauthorized", (await AuthClient.ProblemAsync(unauthorized)).GetProperty("code").GetString());
        var text = await ScrapeAsync(server);

        foreach (var family in new[]
                 {
                     "http_server_request_duration_seconds", "sqlstudio_sync_request_duration_seconds", "sqlstudio_sync_records_total",
                     "sqlstudio_sync_errors_total", "sqlstudio_sync_conflicts_total", "sqlstudio_sync_client_pending", "sqlstudio_sync_propagation_seconds",
                     "sqlstudio_sync_streams", "sqlstudio_db_request_duration_seconds", "sqlstudio_email_outbox_messages", "sqlstudio_email_sent_total",
                     "sqlstudio_auth_logins_total", "sqlstudio_auth_refresh_reuse_total", "sqlstudio_subscriptions",
                 })
        {
            Assert.Contains("\n" + family, "\n" + text);
        }
        Sample(text, "sqlstudio_sync_request_duration_seconds_count", ("op", "push"), ("outcome", "ok"));
        Sample(text, "sqlstudio_sync_request_duration_seconds_count", ("op", "push"), ("outcome", "error"));
        Sample(text, "sqlstudio_sync_errors_total", ("op", "push"), ("code", "validation_failed"));
        Sample(text, "sqlstudio_sync_records_total", ("op", "push"), ("type", "saved_queries"));
        Sample(text, "sqlstudio_sync_records_total", ("op", "pull"), ("type", "saved_queries"));
        Sample(text, "sqlstudio_sync_conflicts_total", ("type", "saved_queries"));
        Sample(text, "sqlstudio_auth_logins_total", ("outcome", "wrong_password"));
        Sample(text, "sqlstudio_auth_logins_total", ("outcome", "ok"));
        Assert.True(Sample(text, "sqlstudio_auth_refresh_reuse_total") >= 1);
        Assert.Equal(3, Sample(text, "sqlstudio_sync_client_pending_sum"));
        Sample(text, "sqlstudio_email_outbox_messages", ("state", "sent"));
        Assert.True(Sample(text, "sqlstudio_subscriptions", ("status", "active")) >= 1);
        Assert.True(Sample(text, "sqlstudio_launch_users", ("stage", "signups")) >= 1);
        Assert.True(Sample(text, "sqlstudio_launch_users", ("stage", "paying")) >= 1);
        Sample(text, "sqlstudio_billing_webhooks_total", ("type", "checkout.session.completed"), ("outcome", "processed"));
        Sample(text, "sqlstudio_sync_propagation_seconds_count");
        Sample(text, "sqlstudio_billing_webhooks_total", ("outcome", "signature_invalid"));
        Sample(text, "sqlstudio_db_round_trips_total", ("provider", TestServer.UseLibSql ? "libsql" : "sqlite"));
        Sample(text, "sqlstudio_db_request_duration_seconds_count", ("provider", TestServer.UseLibSql ? "libsql" : "sqlite"));
        DashboardUsesOnlyKnownMetrics(text);
        await PromtoolAcceptsAsync(text);
    }

    /// <summary>The value of the sample <paramref name="name"/> carrying these labels (others may be there too); fails when absent.</summary>
    private static double Sample(string text, string name, params (string Label, string Value)[] labels)
    {
        foreach (var line in text.Split('\n'))
        {
            if (!line.StartsWith(name + "{", StringComparison.Ordinal) && !line.StartsWith(name + " ", StringComparison.Ordinal))
            {
                continue;
            }
            if (labels.All(l => line.Contains($"{l.Label}=\"{l.Value}\"", StringComparison.Ordinal)))
            {
                return double.Parse(line[(line.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
            }
        }
        throw new Xunit.Sdk.XunitException($"No sample {name} with {string.Join(", ", labels.Select(l => $"{l.Label}={l.Value}"))} in the scrape.");
    }

    /// <summary>
    /// Every expression of deploy/grafana's dashboards uses only metrics this scrape holds or deploy/prometheus records
    /// (a renamed metric would leave a panel silently empty).
    /// </summary>
    private static void DashboardUsesOnlyKnownMetrics(string scrape)
    {
        var known = scrape.Split('\n').Where(l => l.Length > 0 && l[0] != '#')
            .Select(l => l[..l.IndexOfAny(['{', ' '])]).ToHashSet(StringComparer.Ordinal);
        var rules = File.ReadAllLines(Path.Combine(Repository.Root, "deploy", "prometheus", "alerts.yml"))
            .Select(l => l.Trim()).Where(l => l.StartsWith("- record: ", StringComparison.Ordinal)).Select(l => l["- record: ".Length..].Trim());
        known.UnionWith(rules);
        string[] language = ["sum", "max", "min", "avg", "count", "rate", "increase", "irate", "histogram_quantile", "by", "without", "on", "ignoring",
            "and", "or", "unless", "offset", "bool", "abs", "clamp_min", "topk", "bottomk"];
        var expressions = Directory.GetFiles(Path.Combine(Repository.Root, "deploy", "grafana"), "*.json")
            .SelectMany(f => System.Text.Json.JsonDocument.Parse(File.ReadAllText(f)).RootElement.GetProperty("panels").EnumerateArray())
            .SelectMany(p => p.GetProperty("targets").EnumerateArray()).Select(t => t.GetProperty("expr").GetString()!).ToList();
        Assert.True(expressions.Count >= 10, $"only {expressions.Count} dashboard expressions");
        foreach (var expression in expressions)
        {
            var bare = System.Text.RegularExpressions.Regex.Replace(expression, @"""[^""]*""|\{[^}]*\}|\[[^\]]*\]|\b(by|without)\s*\([^)]*\)", " ");
            foreach (System.Text.RegularExpressions.Match name in System.Text.RegularExpressions.Regex.Matches(bare, @"[a-zA-Z_:][a-zA-Z0-9_:]*"))
            {
                Assert.True(language.Contains(name.Value) || known.Contains(name.Value), $"the dashboard uses '{name.Value}' ({expression}), which the server does not expose");
            }
        }
    }

    private static async Task<string> ScrapeAsync(TestServer server)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        var response = await server.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }

    /// <summary><c>promtool check metrics</c> (Debian's prometheus package, which test.sh installs) on the scrape.</summary>
    private static async Task PromtoolAcceptsAsync(string text)
    {
        var promtool = File.Exists("/usr/bin/promtool") ? "/usr/bin/promtool" : throw new InvalidOperationException("promtool is missing: ./test.sh installs it.");
        using var process = Process.Start(new ProcessStartInfo(promtool, ["check", "metrics"])
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true,
        })!;
        await process.StandardInput.WriteAsync(text);
        process.StandardInput.Close();
        var output = await process.StandardOutput.ReadToEndAsync() + await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"promtool check metrics: {output}");
    }
}

/// <summary>Issue #21 §13: a fresh server's scrape already has every documented counter family, at zero.</summary>
public sealed class MetricsFromStartTests
{
    [Fact]
    public async Task FreshServer_EveryFamilyIsInTheFirstScrape()
    {
        await using var server = await TestServer.StartAsync();

        var text = await server.Client.GetStringAsync("/metrics");

        // Present with a value (other servers in this test process may have counted since: the instruments are shared).
        foreach (var series in new[]
                 {
                     @"^sqlstudio_sync_conflicts_total\{[^}]*type=""saved_queries""[^}]*\} \d+", @"^sqlstudio_sync_records_total\{", @"^sqlstudio_sync_errors_total\{",
                     @"^sqlstudio_sync_client_pending_bucket\{", @"^sqlstudio_auth_refresh_reuse_total(\{[^}]*\})? \d+", @"^sqlstudio_auth_logins_total\{[^}]*outcome=""locked""[^}]*\} \d+",
                     @"^sqlstudio_billing_webhooks_total\{", @"^sqlstudio_email_sent_total\{[^}]*outcome=""failed""[^}]*\} \d+",
                 })
        {
            Assert.Matches(new System.Text.RegularExpressions.Regex(series, System.Text.RegularExpressions.RegexOptions.Multiline), text);
        }
    }
}
