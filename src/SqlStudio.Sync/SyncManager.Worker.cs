namespace SqlStudio.Sync;

public sealed partial class SyncManager
{
    /// <summary>Starts the background worker: pushes what is due, pulls when the server moved, retries on its own.</summary>
    public void Start()
    {
        _worker ??= Task.Run(() => RunAsync(_stop.Token));
        if (_options.Realtime)
        {
            _listening ??= Task.Run(() => _listener.ListenAsync(_stop.Token));
        }
    }

    public const string PausedKey = SyncStatusTracker.PausedKey;
    public const string LastErrorKey = SyncStatusTracker.LastErrorKey;
    public const string LastSyncedKey = SyncStatusTracker.LastSyncedKey;

    /// <summary>This device's sync state as the store keeps it (see <see cref="SyncStatusReport"/>).</summary>
    public Task<SyncStatusReport> ReadStatusAsync(bool signedIn) => _tracker.ReadAsync(signedIn);

    /// <summary>Stops sending and fetching until <see cref="ResumeAsync"/> (local changes still queue); remembered across restarts.</summary>
    public async Task PauseAsync()
    {
        _paused = true;
        await _store.SetMetaAsync(PausedKey, "1");
        await PublishAsync(SyncState.Paused);
    }

    public async Task ResumeAsync()
    {
        _paused = false;
        await _store.SetMetaAsync(PausedKey, null);
        await PublishAsync(SyncState.Idle);
        Wake();
    }

    public bool IsPaused => _paused;

    /// <summary>Ends a parked state (after failed attempts) and tries again now.</summary>
    public Task RetryNowAsync()
    {
        Wake();
        return Task.CompletedTask;
    }

    private async Task RunAsync(CancellationToken ct)
    {
        // A pause survives restarts: `sqlstudio sync pause` in one process holds the worker of the next.
        _paused = _paused || await _store.GetMetaAsync(PausedKey) == "1";
        var attempts = 0;
        var offlineAttempts = 0;
        long lastHead = -1;
        var first = true;
        while (!ct.IsCancellationRequested)
        {
            // The first round runs at once: a device that starts pulls what changed while it was off.
            var wait = first ? TimeSpan.Zero : _paused ? _options.PollInterval : await NextWaitAsync(attempts, offlineAttempts);
            first = false;
            await WaitAsync(wait, ct);
            if (_paused)
            {
                // Paused: nothing is sent, and the loop sleeps until resumed (no busy loop on due entries).
                continue;
            }
            await _round.WaitAsync(ct);
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            try
            {
                var offline = Status.State == SyncState.Offline;
                // The event stream said the server moved: pull without asking head first.
                var remoteAhead = Interlocked.Exchange(ref _remoteAhead, 0) == 1;
                if (offline || Status.State != SyncState.Idle)
                {
                    await PublishAsync(SyncState.Syncing);
                }
                await IntroduceDeviceAsync(ct);
                // Push first: a local change leaves at once, without waiting on a head call.
                var (pushed, _, _) = await PushCoreAsync(dueOnly: true, null, ct);
                var head = pushed > 0 || remoteAhead || offline || lastHead < 0 ? -1 : (await _api.HeadAsync(Server, ct)).Cursor;
                if (head < 0 || head != lastHead)
                {
                    if (await PullCoreAsync(null, ct) > 0)
                    {
                        // Idle time: index what arrived, so the next search does not have to.
                        await _store.IndexAsync();
                    }
                }
                // Everything up to the local cursor is here after a pull, the echo of this device's own push included (so
                // its event does not start another round); a head read before the pull is as good. Any later commit shows
                // as a different head next round.
                lastHead = Math.Max(head, long.TryParse(await _store.GetMetaAsync("cursor"), out var local) ? local : 0);
                Interlocked.Exchange(ref _knownCursor, lastHead);
                attempts = 0;
                offlineAttempts = 0;
                var took = System.Diagnostics.Stopwatch.GetElapsedTime(started);
                Metrics.Round(took);
                await PublishAsync(SyncState.Idle, syncedAt: _time.GetUtcNow(), roundMs: (long)took.TotalMilliseconds);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (OfflineException ex)
            {
                // Not the server's refusal: the network, or a server that is not up. Never parked (OfflineRetryMax).
                offlineAttempts++;
                Metrics.Error("offline");
                await PublishAsync(SyncState.Offline, ex.Message);
            }
            catch (SignedOutException ex)
            {
                await PublishAsync(SyncState.SignedOut, ex.Message);
                return;
            }
            catch (Exception ex) when (ex is SyncApiException or HttpRequestException or System.Text.Json.JsonException)
            {
                attempts++;
                Metrics.Error("error");
                await PublishAsync(SyncState.Error, attempts >= _options.AttemptsPerRound
                    ? $"Sync stopped after {attempts} failed attempts: {ex.Message} It retries in {_options.ParkedRetry.TotalMinutes:0} minutes, or now with Retry."
                    : ex.Message);
            }
            finally
            {
                _round.Release();
            }
        }
    }

    public const string DeviceIntroducedKey = "device_introduced";

    /// <summary>
    /// Once per device (and again when its name, system or version changes): registers it by host name and system,
    /// so the account's device list never shows it by its id. A refusal is not the sync's failure: the next round
    /// tries again.
    /// </summary>
    public async Task IntroduceDeviceAsync(CancellationToken ct = default)
    {
        var name = _options.DeviceName ?? DeviceIdentity.Name(_options.AppName);
        var introduction = $"{name}\n{DeviceIdentity.Platform()}\n{DeviceIdentity.AppVersion()}";
        if (await _store.GetMetaAsync(DeviceIntroducedKey) == introduction)
        {
            return;
        }
        try
        {
            await RegisterDeviceAsync(name, DeviceIdentity.Platform(), DeviceIdentity.AppVersion(), ct);
            await _store.SetMetaAsync(DeviceIntroducedKey, introduction);
        }
        catch (SyncApiException)
        {
            // An unverified account, or a server without the route: the push below says what matters.
        }
    }

    /// <summary>Until the next outbox entry is due, the next poll, or the next retry, whichever is first.</summary>
    private async Task<TimeSpan> NextWaitAsync(int attempts, int offlineAttempts)
    {
        if (offlineAttempts > 0)
        {
            var backoff = SyncPolicy.Backoff(offlineAttempts, _options, _random);
            return backoff < _options.OfflineRetryMax ? backoff : _options.OfflineRetryMax;
        }
        if (attempts > 0)
        {
            return attempts >= _options.AttemptsPerRound ? _options.ParkedRetry : SyncPolicy.Backoff(attempts, _options, _random);
        }
        var now = _time.GetUtcNow();
        var wait = _options.PollInterval;
        if (await _store.NextDueAsync() is { } due)
        {
            var untilDue = DateTimeOffset.Parse(due, System.Globalization.CultureInfo.InvariantCulture) - now;
            wait = untilDue < wait ? untilDue : wait;
        }
        return wait < TimeSpan.Zero ? TimeSpan.Zero : wait;
    }

    private async Task WaitAsync(TimeSpan wait, CancellationToken ct)
    {
        if (wait <= TimeSpan.Zero)
        {
            return;
        }
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var delay = Task.Delay(wait, _time, linked.Token);
        var woken = _wake.WaitAsync(linked.Token);
        await Task.WhenAny(delay, woken);
        await linked.CancelAsync();
        ct.ThrowIfCancellationRequested();
        // Several wake-ups for one round are one round.
        while (_wake.CurrentCount > 0 && _wake.Wait(0))
        {
        }
    }
}
