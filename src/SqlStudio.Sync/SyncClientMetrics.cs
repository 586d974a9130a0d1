using System.Diagnostics.Metrics;

namespace SqlStudio.Sync;

/// <summary>
/// The SDK's meter, <c>SqlStudio.Sync.Client</c>, for the desktop app (a MeterListener, or OpenTelemetry with
/// <c>AddMeter("SqlStudio.Sync.Client")</c>): <c>sqlstudio.client.outbox.size</c> (changes waiting),
/// <c>sqlstudio.client.sync.duration</c> (each worker round or sync, seconds), <c>sqlstudio.client.sync.errors</c>
/// (failed rounds, by kind: offline, error), <c>sqlstudio.client.conflicts</c> and <c>sqlstudio.client.stream.state</c>
/// (1 while the event stream is live). One meter per <see cref="SyncManager"/>, tagged with its server.
/// </summary>
public sealed class SyncClientMetrics : IDisposable
{
    public const string MeterName = "SqlStudio.Sync.Client";

    private readonly Meter _meter = new(MeterName);

    /// <summary>This manager's meter (a listener can tell it from other profiles' meters of the same name).</summary>
    public Meter Meter => _meter;
    private readonly Histogram<double> _duration;
    private readonly Counter<long> _errors;
    private readonly Counter<long> _conflicts;
    private readonly KeyValuePair<string, object?> _server;

    internal SyncClientMetrics(SyncManager manager)
    {
        _server = new KeyValuePair<string, object?>("server", manager.Server.GetLeftPart(UriPartial.Authority));
        _meter.CreateObservableGauge("sqlstudio.client.outbox.size", () => new Measurement<long>(manager.Status.Pending, _server),
            description: "Local changes waiting to be pushed");
        _meter.CreateObservableGauge("sqlstudio.client.stream.state", () => new Measurement<int>(manager.Status.Realtime == RealtimeMode.Live ? 1 : 0, _server),
            description: "1 while the event stream is live; 0 on long-poll, poll or off");
        _duration = _meter.CreateHistogram<double>("sqlstudio.client.sync.duration", "s", "One sync round (push and pull)");
        _errors = _meter.CreateCounter<long>("sqlstudio.client.sync.errors", description: "Failed sync rounds, by kind (offline, error)");
        _conflicts = _meter.CreateCounter<long>("sqlstudio.client.conflicts", description: "Conflicts the server reported for this device's changes");
    }

    internal void Round(TimeSpan duration) => _duration.Record(duration.TotalSeconds, _server);

    internal void Error(string kind) => _errors.Add(1, _server, new KeyValuePair<string, object?>("kind", kind));

    internal void Conflicts(int count)
    {
        if (count > 0)
        {
            _conflicts.Add(count, _server);
        }
    }

    public void Dispose() => _meter.Dispose();
}
