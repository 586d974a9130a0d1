using OpenTelemetry.Metrics;

namespace SqlStudio.Server.Observability;

/// <summary>
/// Puts every documented counter family in the scrape at zero when the server starts, for its known label sets
/// (Prometheus' instrumentation guide: a series that appears only after its first event leaves alerts and dashboards
/// with nothing rather than 0). The meter provider is taken first so its listener is on before the zero is added.
/// </summary>
public sealed class MetricSeeds(MeterProvider meters, Sync.SyncMetrics sync, Email.EmailOutbox email) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        GC.KeepAlive(meters);
        Auth.AuthMetrics.Seed();
        Billing.BillingMetrics.Seed();
        sync.Seed();
        email.SeedMetrics();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
