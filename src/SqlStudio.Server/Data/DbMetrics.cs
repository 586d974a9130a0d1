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
    private static readonly Histogram<double> Duration = Meter.CreateHistogram<double>("sqlstudio.db.request.duration", "s", "Database round-trip duration");

    public static void RoundTrip(string provider, TimeSpan elapsed)
    {
        var tag = new KeyValuePair<string, object?>("provider", provider);
        RoundTrips.Add(1, tag);
        Duration.Record(elapsed.TotalSeconds, tag);
        DbRoundTrips.Record();
    }
}
