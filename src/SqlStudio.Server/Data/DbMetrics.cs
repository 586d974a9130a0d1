using System.Diagnostics.Metrics;

namespace SqlStudio.Server.Data;

/// <summary>
/// Round trips to a remote database and their durations (<c>sqlstudio_db_round_trips_total{provider}</c>,
/// <c>sqlstudio_db_request_duration_seconds{provider}</c>), also counted into the current request's scope.
/// </summary>
public static class DbMetrics
{
    public const string MeterName = "SqlStudio.Server.Database";

    private static readonly Meter Meter = new(MeterName);
    private static readonly Counter<long> RoundTrips = Meter.CreateCounter<long>("sqlstudio.db.round_trips", description: "Database round trips");
    private static readonly Histogram<double> Duration = Meter.CreateHistogram<double>("sqlstudio.db.request.duration", "s", "Database round-trip duration",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5] });

    /// <summary>A span for one round trip (exported with the request's trace when tracing is on).</summary>
    public static System.Diagnostics.Activity? StartRoundTrip(string provider, bool write) =>
        Observability.Telemetry.Source.StartActivity(write ? "db write batch" : "db read batch", System.Diagnostics.ActivityKind.Client)
            ?.SetTag("db.system", provider == "sqlite" ? "sqlite" : "libsql");

    /// <summary>The embedded file's batch duration (no network: not a round trip for the request's budget).</summary>
    public static void Measured(string provider, TimeSpan elapsed)
    {
        var tag = new KeyValuePair<string, object?>("provider", provider);
        // For the embedded file a "round trip" is a batch (a transaction): the same count, without the network.
        RoundTrips.Add(1, tag);
        Duration.Record(elapsed.TotalSeconds, tag);
    }

    /// <summary>A remote round trip: measured as above, and counted into the current request's budget.</summary>
    public static void RoundTrip(string provider, TimeSpan elapsed)
    {
        Measured(provider, elapsed);
        DbRoundTrips.Record();
    }
}
