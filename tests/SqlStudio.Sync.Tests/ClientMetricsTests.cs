using System.Diagnostics.Metrics;
using System.Text.Json.Nodes;
using SqlStudio.Testing;

namespace SqlStudio.Sync.Tests;

/// <summary>The SDK's meter, <c>SqlStudio.Sync.Client</c> (issue #14): what the desktop app can read about its sync.</summary>
public sealed class ClientMetricsTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task Meter_ReportsRounds_OutboxSize_StreamState()
    {
        await using var devices = await Devices.StartAsync(fixture.Server);
        var a = await devices.OpenAsync("laptop", new SyncClientOptions { PollInterval = TimeSpan.FromHours(1) });
        var meter = a.Manager.Metrics.Meter;
        var rounds = 0;
        long? outbox = null;
        int? stream = null;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter == meter)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<double>((instrument, _, _, _) =>
        {
            if (instrument.Name == "sqlstudio.client.sync.duration")
            {
                Interlocked.Increment(ref rounds);
            }
        });
        listener.SetMeasurementEventCallback<long>((instrument, value, _, _) =>
        {
            if (instrument.Name == "sqlstudio.client.outbox.size")
            {
                outbox = value;
            }
        });
        listener.SetMeasurementEventCallback<int>((instrument, value, _, _) =>
        {
            if (instrument.Name == "sqlstudio.client.stream.state")
            {
                stream = value;
            }
        });
        listener.Start();

        a.Manager.Start();
        await a.Manager.PushChangeAsync("saved_queries", "q1", new JsonObject { ["title"] = "Revenue", ["sql"] = "select 1" });
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while ((Volatile.Read(ref rounds) == 0 || a.Manager.Status.Pending > 0 || a.Manager.Status.Realtime != RealtimeMode.Live) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }
        listener.RecordObservableInstruments();

        Assert.True(rounds >= 1, "no sync round was measured");
        Assert.Equal(0, outbox);
        Assert.Equal(1, stream);
    }
}
