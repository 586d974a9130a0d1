using System.Diagnostics.Metrics;

namespace SqlStudio.Server.Sync;

/// <summary>
/// Sync instruments (System.Diagnostics.Metrics), exported at <c>/metrics</c> under the names docs/operations.md lists:
/// <c>sqlstudio_sync_request_duration_seconds{op,outcome}</c>, <c>sqlstudio_sync_records_total{op,type}</c>,
/// <c>sqlstudio_sync_errors_total{op,code}</c> (every failed sync request, by its problem code),
/// <c>sqlstudio_sync_conflicts_total{type}</c> and <c>sqlstudio_sync_client_pending</c> (the outbox sizes devices report).
/// </summary>
public sealed class SyncMetrics : IDisposable
{
    public const string MeterName = "SqlStudio.Server.Sync";

    private readonly Meter _meter;
    private readonly Histogram<double> _duration;
    private readonly Counter<long> _records;
    private readonly Counter<long> _conflicts;
    private readonly Counter<long> _errors;
    private readonly Histogram<long> _pending;

    public SyncMetrics(IMeterFactory meters)
    {
        _meter = meters.Create(MeterName);
        _duration = _meter.CreateHistogram<double>("sqlstudio.sync.request.duration", "s", "Time to serve a sync request, by operation and outcome",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] });
        _records = _meter.CreateCounter<long>("sqlstudio.sync.records", description: "Records pushed, pulled or imported, by type");
        _conflicts = _meter.CreateCounter<long>("sqlstudio.sync.conflicts", description: "Conflicting edits recorded, by type");
        _errors = _meter.CreateCounter<long>("sqlstudio.sync.errors", description: "Failed sync requests, by operation and problem code");
        _pending = _meter.CreateHistogram<long>("sqlstudio.sync.client.pending", description: "Outbox size a device reported when it pushed",
            advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = [0, 1, 10, 100, 1000, 10000] });
    }

    /// <summary>The operation a sync path belongs to (the label of every sync metric).</summary>
    public static string OpOf(PathString path)
    {
        var rest = path.Value is { } value && value.StartsWith("/api/sync/", StringComparison.Ordinal) ? value["/api/sync/".Length..] : "";
        return rest switch
        {
            "push" => "push",
            "changes" => "pull",
            "head" => "head",
            "events" => "events",
            _ when rest.StartsWith("import", StringComparison.Ordinal) => "import",
            _ when rest.StartsWith("conflicts/", StringComparison.Ordinal) => "resolve",
            "conflicts" => "conflicts",
            _ when rest.StartsWith("devices", StringComparison.Ordinal) => "devices",
            _ => "other",
        };
    }

    public void Request(string op, bool ok, TimeSpan duration) =>
        _duration.Record(duration.TotalSeconds, new KeyValuePair<string, object?>("op", op), new KeyValuePair<string, object?>("outcome", ok ? "ok" : "error"));

    public void Records(string op, string type, long count)
    {
        if (count > 0)
        {
            _records.Add(count, new KeyValuePair<string, object?>("op", op), new KeyValuePair<string, object?>("type", type));
        }
    }

    public void Conflicts(string type, long count)
    {
        if (count > 0)
        {
            _conflicts.Add(count, new KeyValuePair<string, object?>("type", type));
        }
    }

    public void Error(string op, string code) =>
        _errors.Add(1, new KeyValuePair<string, object?>("op", op), new KeyValuePair<string, object?>("code", code));

    public void ClientPending(long pending) => _pending.Record(Math.Max(0, pending));

    /// <summary>
    /// Every series at zero from the start (Observability/MetricSeeds): records and conflicts per type, the failures an
    /// alert watches per operation, and the outbox-size histogram with one report of nothing pending.
    /// </summary>
    public void Seed()
    {
        foreach (var type in Contracts.EntityTypes.All)
        {
            _conflicts.Add(0, new KeyValuePair<string, object?>("type", type));
            foreach (var op in new[] { "push", "pull", "import" })
            {
                _records.Add(0, new KeyValuePair<string, object?>("op", op), new KeyValuePair<string, object?>("type", type));
            }
        }
        foreach (var op in new[] { "push", "pull", "head", "import", "resolve" })
        {
            foreach (var code in new[] { Contracts.ErrorCodes.InternalError, Contracts.ErrorCodes.DatabaseUnavailable })
            {
                _errors.Add(0, new KeyValuePair<string, object?>("op", op), new KeyValuePair<string, object?>("code", code));
            }
        }
        _pending.Record(0);
    }

    public void Dispose() => _meter.Dispose();
}
