using System.Diagnostics.Metrics;
using SqlStudio.Server.Data;
using SqlStudio.Contracts;

namespace SqlStudio.Server.Billing;

/// <summary>
/// <c>sqlstudio_billing_webhooks_total{type,outcome}</c> (processed, duplicate, signature_invalid, failed) and
/// <c>sqlstudio_subscriptions{status}</c>: each subscription's latest status, counted at most once a minute by a
/// background refresh (a scrape never queries the database). Every instance reports the same counts: aggregate
/// with <c>max by (status)</c>.
/// </summary>
public sealed class BillingMetrics : BackgroundService
{
    public const string MeterName = "SqlStudio.Server.Billing";

    private static readonly Meter Shared = new(MeterName);
    private static readonly Counter<long> Webhooks = Shared.CreateCounter<long>("sqlstudio.billing.webhooks", description: "Stripe webhooks by event type and outcome");

    /// <summary>Every handled type and outcome at zero from the start (Observability/MetricSeeds).</summary>
    public static void Seed()
    {
        foreach (var type in new[] { StripeEventTypes.CheckoutSessionCompleted, StripeEventTypes.SubscriptionCreated, StripeEventTypes.SubscriptionUpdated,
                     StripeEventTypes.SubscriptionDeleted, StripeEventTypes.InvoicePaid, StripeEventTypes.InvoicePaymentFailed })
        {
            foreach (var outcome in new[] { "processed", "duplicate", "failed" })
            {
                Webhooks.Add(0, new KeyValuePair<string, object?>("type", type), new KeyValuePair<string, object?>("outcome", outcome));
            }
        }
        Webhooks.Add(0, new KeyValuePair<string, object?>("type", "unknown"), new KeyValuePair<string, object?>("outcome", BillingErrorCodes.SignatureInvalid));
        Webhooks.Add(0, new KeyValuePair<string, object?>("type", "unknown"), new KeyValuePair<string, object?>("outcome", "skipped"));
    }

    /// <summary>This instance's own meter for the gauge (its callback goes with it when the host stops).</summary>
    private readonly Meter _meter = new(MeterName);

    private readonly Db _db;
    private readonly TimeProvider _time;
    private readonly ILogger<BillingMetrics> _logger;
    private volatile IReadOnlyDictionary<string, long> _subscriptions = new Dictionary<string, long>();

    public BillingMetrics(Db db, TimeProvider time, ILogger<BillingMetrics> logger)
    {
        _db = db;
        _time = time;
        _logger = logger;
        _meter.CreateObservableGauge("sqlstudio.subscriptions", () => _subscriptions.Select(s =>
            new Measurement<long>(s.Value, new KeyValuePair<string, object?>("status", s.Key))), description: "Subscriptions by status (refreshed every minute)");
    }

    public static void Webhook(string type, string outcome) =>
        Webhooks.Add(1, new KeyValuePair<string, object?>("type", type), new KeyValuePair<string, object?>("outcome", outcome));

    public async Task RefreshAsync(CancellationToken cancellationToken = default)
    {
        // Every status is reported, 0 included, so a dashboard's series never vanish.
        var counts = new[] { "incomplete", "incomplete_expired", "trialing", "active", "past_due", "canceled", "unpaid", "paused" }
            .ToDictionary(status => status, _ => 0L);
        await _db.ReadBatchAsync(new SqlBatch().Read(BillingStore.StatusCountsSql, null, async reader =>
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    counts[reader.GetString(0)] = reader.GetInt64(1);
                }
            }), cancellationToken);
        _subscriptions = counts;
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Observability.Refresh.EveryMinuteAsync(RefreshAsync, _time, _logger, "Subscription counts", stoppingToken);

    public override void Dispose()
    {
        _meter.Dispose();
        base.Dispose();
    }
}
