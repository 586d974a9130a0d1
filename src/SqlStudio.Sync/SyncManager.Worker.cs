namespace SqlStudio.Sync;

public sealed partial class SyncManager
{
    /// <summary>Starts the background worker: pushes what is due, pulls when the server moved, retries on its own.</summary>
    public void Start()
    {
        _worker ??= Task.Run(() => RunAsync(_stop.Token));
    }

    public void Pause()
    {
        _paused = true;
        Publish(SyncState.Paused);
    }

    public void Resume()
    {
        _paused = false;
        Publish(SyncState.Idle);
        Wake();
    }

    /// <summary>Ends a parked state (after failed attempts) and tries again now.</summary>
    public Task RetryNowAsync()
    {
        Wake();
        return Task.CompletedTask;
    }

    private async Task RunAsync(CancellationToken ct)
    {
        var attempts = 0;
        long lastHead = -1;
        while (!ct.IsCancellationRequested)
        {
            var wait = await NextWaitAsync(attempts);
            await WaitAsync(wait, ct);
            if (_paused)
            {
                continue;
            }
            await _round.WaitAsync(ct);
            try
            {
                var offline = _status.State == SyncState.Offline;
                var head = await _api.HeadAsync(Server, ct);
                if (offline || _status.State != SyncState.Idle)
                {
                    Publish(SyncState.Syncing);
                }
                var (pushed, _, _) = await PushCoreAsync(dueOnly: true, null, ct);
                if (pushed > 0 || head.Cursor != lastHead || offline)
                {
                    if (await PullCoreAsync(null, ct) > 0)
                    {
                        // Idle time: index what arrived, so the next search does not have to.
                        await _store.IndexAsync();
                    }
                    lastHead = (await _api.HeadAsync(Server, ct)).Cursor;
                }
                attempts = 0;
                Publish(SyncState.Idle, syncedAt: _time.GetUtcNow());
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (OfflineException ex)
            {
                attempts++;
                Publish(SyncState.Offline, ex.Message);
            }
            catch (SignedOutException ex)
            {
                Publish(SyncState.SignedOut, ex.Message);
                return;
            }
            catch (Exception ex) when (ex is SyncApiException or HttpRequestException or System.Text.Json.JsonException)
            {
                attempts++;
                Publish(SyncState.Error, attempts >= _options.AttemptsPerRound
                    ? $"Sync stopped after {attempts} failed attempts: {ex.Message} It retries in {_options.ParkedRetry.TotalMinutes:0} minutes, or now with Retry."
                    : ex.Message);
            }
            finally
            {
                _round.Release();
            }
        }
    }

    /// <summary>Until the next outbox entry is due, the next poll, or the next retry, whichever is first.</summary>
    private async Task<TimeSpan> NextWaitAsync(int attempts)
    {
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
