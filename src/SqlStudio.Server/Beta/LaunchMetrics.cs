using System.Diagnostics.Metrics;

namespace SqlStudio.Server.Beta;

/// <summary>
/// <c>sqlstudio_launch_users{stage}</c>: the launch funnel (signups, verified, onboarded, syncing, trialing, paying)
/// for the dashboard's funnel panel, refreshed once a minute from <see cref="LaunchFigures"/>. Every instance reports
/// the same counts: aggregate with <c>max by (stage)</c>.
/// </summary>
public sealed class LaunchMetrics : BackgroundService
{
    public const string MeterName = "SqlStudio.Server.Beta";

    private readonly Meter _meter = new(MeterName);
    private readonly LaunchFigures _figures;
    private readonly TimeProvider _time;
    private readonly ILogger<LaunchMetrics> _logger;
    private volatile IReadOnlyList<(string Stage, long Count)> _funnel = [];

    public LaunchMetrics(LaunchFigures figures, TimeProvider time, ILogger<LaunchMetrics> logger)
    {
        _figures = figures;
        _time = time;
        _logger = logger;
        _meter.CreateObservableGauge("sqlstudio.launch.users", () => _funnel.Select(f =>
            new Measurement<long>(f.Count, new KeyValuePair<string, object?>("stage", f.Stage))), description: "Users at each stage of the launch funnel (refreshed every minute)");
    }

    public async Task RefreshAsync(CancellationToken cancellationToken = default)
    {
        var r = await _figures.ReportAsync(cancellationToken);
        _funnel =
        [
            ("signups", (long)r.Signups.Count), ("verified", (long)r.Verified.Count), ("onboarded", (long)r.OnboardingCompleted.Count),
            ("syncing", (long)r.SyncEnabled.Count), ("trialing", (long)r.Trialing.Count), ("paying", (long)r.Paying.Count),
        ];
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Observability.Refresh.EveryMinuteAsync(RefreshAsync, _time, _logger, "Launch funnel", stoppingToken);

    public override void Dispose()
    {
        _meter.Dispose();
        base.Dispose();
    }
}
