using System.Diagnostics;
using System.Text.Json;

namespace SqlStudio.Sync;

/// <summary>What the real-time listener needs of the worker it serves.</summary>
internal interface IListenerHost
{
    bool Paused { get; }

    /// <summary>This device's id, once read (an event that names it is the echo of its own push).</summary>
    string? DeviceId { get; }

    /// <summary>The newest server cursor this device has pulled up to (or pushed to).</summary>
    long KnownCursor { get; }

    SyncState State { get; }

    /// <summary>The server is ahead of this device: the worker's next round pulls, now.</summary>
    void RemoteAhead();

    void Wake();

    /// <summary>Until the worker's current round is over.</summary>
    Task WaitForRoundAsync(CancellationToken ct);
}

/// <summary>
/// The real-time part of sync: an event stream (long-poll through a proxy that buffers, the worker's plain poll as the
/// last resort) that only ever wakes the worker. Events carry the cursor, never data.
/// </summary>
internal sealed class RealtimeListener(SyncApi api, Uri server, SyncClientOptions options, TimeProvider time, SyncStatusTracker tracker, IListenerHost host)
{
    /// <summary>Stream connections opened (for tests and the status page).</summary>
    public int StreamConnections { get; private set; }

    private readonly Random _random = new();

    /// <summary>
    /// Hears about other devices' changes while the worker runs: one event stream, a pull (through the worker) whenever
    /// an event is ahead of this device; on every (re)connect a pull at once. Reconnects with exponential back-off and
    /// full jitter, never giving up; after 3 quick failures or a stream silent for two heartbeats, long-polls instead,
    /// and when that fails too, leaves it to the worker's plain poll. Events carry only the cursor: a lost one costs
    /// latency, never data.
    /// </summary>
    public async Task ListenAsync(CancellationToken ct)
    {
        var failures = 0;
        var quickFailures = 0;
        var fallbackSince = (DateTimeOffset?)null;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                if (host.Paused)
                {
                    await WaitForResumeAsync(ct);
                    continue;
                }
                if (fallbackSince is { } since && time.GetUtcNow() - since < options.RetryStreamAfter)
                {
                    await LongPollAsync(ct);
                    failures = 0;
                    continue;
                }
                fallbackSince = null;
                var opened = Stopwatch.StartNew();
                var gotEvent = await StreamAsync(ct);
                failures = gotEvent ? 0 : failures + 1;
                quickFailures = opened.Elapsed < options.QuickFailure && !gotEvent ? quickFailures + 1 : 0;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (SignedOutException)
            {
                SetRealtime(null);
                return;
            }
            catch (Exception ex) when (ex is OfflineException or SyncApiException or HttpRequestException or IOException or TimeoutException
                                           or OperationCanceledException or JsonException or StreamSilentException)
            {
                failures++;
                if (fallbackSince is null && (ex is StreamSilentException || ++quickFailures >= 3))
                {
                    // A proxy that buffers or drops streams: long-poll works through it.
                    fallbackSince = time.GetUtcNow();
                    quickFailures = 0;
                }
                else if (fallbackSince is not null)
                {
                    // Long-poll fails too: the worker's plain poll is the last resort until the server answers again.
                    SetRealtime(RealtimeMode.Poll);
                }
            }
            if (failures > 0)
            {
                await DelayAsync(SyncPolicy.FullJitter(failures, options.ReconnectInitial, options.ReconnectMax, _random), ct);
            }
        }
    }

    /// <summary>Reads one stream until it ends; true when at least one event arrived (a healthy connection).</summary>
    private async Task<bool> StreamAsync(CancellationToken ct)
    {
        var lastEventId = host.KnownCursor is var known and >= 0 ? known.ToString(System.Globalization.CultureInfo.InvariantCulture) : null;
        HttpResponseMessage response;
        using (var opening = CancellationTokenSource.CreateLinkedTokenSource(ct))
        {
            // A proxy that buffers holds back even the headers: no answer within the silence limit is the same failure.
            opening.CancelAfter(options.StreamSilence);
            try
            {
                response = await api.OpenEventsAsync(server, lastEventId, opening.Token);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new StreamSilentException();
            }
        }
        using var _ = response;
        await using var body = await response.Content.ReadAsStreamAsync(ct);
        using var reader = new StreamReader(body);
        StreamConnections++;
        var gotEvent = false;
        string? name = null;
        string? data = null;
        while (true)
        {
            using var silence = CancellationTokenSource.CreateLinkedTokenSource(ct);
            silence.CancelAfter(options.StreamSilence);
            string? line;
            try
            {
                line = await reader.ReadLineAsync(silence.Token);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new StreamSilentException();
            }
            if (line is null)
            {
                // The server ended the stream (token expiry, shutdown): reconnect with a fresh token.
                SetRealtime(null);
                return gotEvent;
            }
            if (line.Length == 0)
            {
                if (name is not null && data is not null)
                {
                    gotEvent = true;
                    OnEvent(name, data);
                }
                (name, data) = (null, null);
                continue;
            }
            if (line.StartsWith("event:", StringComparison.Ordinal))
            {
                name = line[6..].Trim();
            }
            else if (line.StartsWith("data:", StringComparison.Ordinal))
            {
                data = line[5..].Trim();
            }
        }
    }

    private void OnEvent(string name, string data)
    {
        using var json = JsonDocument.Parse(data);
        var root = json.RootElement;
        var cursor = root.TryGetProperty("cursor", out var c) && c.TryGetInt64(out var value) ? value : -1;
        // Only this device's own commits (the server folds a burst into one event and names the device only when all came
        // from it): nothing to fetch. Its push already holds the data; the round that pushed pulls after it anyway.
        var echo = root.TryGetProperty("device_id", out var d) && d.ValueKind == JsonValueKind.String && d.GetString() == host.DeviceId;
        if (name == "ready")
        {
            // Connected (or reconnected): pull at once whatever happened while this device was not listening.
            SetRealtime(RealtimeMode.Live);
            host.RemoteAhead();
        }
        else if (name == "changes" && !echo && cursor > host.KnownCursor)
        {
            // Ahead of this device: pull now.
            host.RemoteAhead();
        }
    }

    /// <summary>One long-poll on head; wakes the worker when the server's cursor is ahead of this device.</summary>
    private async Task LongPollAsync(CancellationToken ct)
    {
        SetRealtime(RealtimeMode.LongPoll);
        var head = await api.WaitForHeadAsync(server, Math.Max(0, host.KnownCursor), options.LongPollSeconds, ct);
        if (host.State is SyncState.Offline or SyncState.Error)
        {
            // The server answered while the worker was waiting out a failure: it is back, so the outbox goes now.
            host.Wake();
        }
        if (head.Cursor > host.KnownCursor)
        {
            host.RemoteAhead();
            // Until the worker has pulled, the same head would answer at once: give it the round.
            await host.WaitForRoundAsync(ct);
        }
    }

    private async Task WaitForResumeAsync(CancellationToken ct)
    {
        SetRealtime(null);
        await DelayAsync(options.PollInterval < TimeSpan.FromSeconds(1) ? options.PollInterval : TimeSpan.FromSeconds(1), ct);
    }

    private Task DelayAsync(TimeSpan delay, CancellationToken ct) => delay <= TimeSpan.Zero ? Task.CompletedTask : Task.Delay(delay, time, ct);

    private void SetRealtime(string? mode) => tracker.SetRealtime(mode);

    private sealed class StreamSilentException() : Exception("The event stream went silent (a buffering proxy?).");
}
