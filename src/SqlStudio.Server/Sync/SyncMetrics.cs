using System.Diagnostics.Metrics;

namespace SqlStudio.Server.Sync;

/// <summary>Sync instruments (System.Diagnostics.Metrics), exported by the observability setup.</summary>
public sealed class SyncMetrics : IDisposable
{
    public const string MeterName = "SqlStudio.Sync";

    private readonly Meter _meter;
    private readonly Histogram<double> _duration;
    private readonly Counter<long> _records;
    private readonly Counter<long> _conflicts;
    private readonly Counter<long> _errors;

    public SyncMetrics(IMeterFactory meters)
    {
        _meter = meters.Create(MeterName);
        _duration = _meter.CreateHistogram<double>("sync.duration", "ms", "Time to serve a push, pull or import");
        _records = _meter.CreateCounter<long>("sync.records", description: "Records pushed, pulled or imported");
        _conflicts = _meter.CreateCounter<long>("sync.conflicts", description: "Conflicting edits recorded");
        _errors = _meter.CreateCounter<long>("sync.errors", description: "Rejected mutations and failed sync requests");
    }

    public void Record(string kind, int records, int conflicts, int errors, TimeSpan duration)
    {
        var tag = new KeyValuePair<string, object?>("kind", kind);
        _duration.Record(duration.TotalMilliseconds, tag);
        _records.Add(records, tag);
        if (conflicts > 0)
        {
            _conflicts.Add(conflicts, tag);
        }
        if (errors > 0)
        {
            _errors.Add(errors, tag);
        }
    }

    public void Dispose() => _meter.Dispose();
}
