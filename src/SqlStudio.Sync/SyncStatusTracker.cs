using SqlStudio.Contracts;

namespace SqlStudio.Sync;

/// <summary>
/// The sync status of one manager: what it is now (<see cref="Current"/>, raised through the callback), what another
/// process reads back (the last sync, the last error and the last round's time, kept in the store in order and off the
/// caller's thread), and <see cref="ReadAsync"/>, the one place that reads it back as a typed report.
/// </summary>
internal sealed class SyncStatusTracker(LocalStore store, Action<SyncStatus> changed)
{
    public const string PausedKey = "paused";
    public const string LastErrorKey = "last_error";
    public const string LastSyncedKey = "last_synced_at";
    public const string LastRoundMsKey = "last_round_ms";

    private readonly object _persistLock = new();
    private Task _persisted = Task.CompletedTask;
    private SyncStatus _status = new(SyncState.Idle, 0, null, null);
    private string? _realtime;

    public SyncStatus Current => _status;

    /// <summary>Writes still on their way to the store (awaited when the manager closes).</summary>
    public Task Persisted => _persisted;

    /// <summary>From an event handler, which cannot wait: a store closed meanwhile only means nobody is listening.</summary>
    public async Task PublishQuietlyAsync(SyncState state, string error)
    {
        try
        {
            await PublishAsync(state, error);
        }
        catch (Exception ex) when (ex is ObjectDisposedException or Microsoft.Data.Sqlite.SqliteException)
        {
        }
    }

    public async Task PublishAsync(SyncState state, string? error = null, DateTimeOffset? syncedAt = null, long? roundMs = null)
    {
        var pending = await store.PendingCountAsync();
        _status = new SyncStatus(state, pending, syncedAt ?? _status.LastSyncedAt, state is SyncState.Idle or SyncState.Syncing ? null : error ?? _status.LastError,
            _realtime);
        // What `sqlstudio sync status` shows from another process: the last sync and the last error, kept in the store.
        // Written in order, off the caller's thread (a status change never waits on the disk).
        string? key = null, value = null, key2 = null;
        if (syncedAt is { } synced)
        {
            (key, value) = (LastSyncedKey, WireTime.ToText(synced));
            key2 = state is SyncState.Idle ? LastErrorKey : null;
        }
        else if (state is SyncState.Error or SyncState.Offline && _status.LastError is { } failure)
        {
            (key, value) = (LastErrorKey, $"{state.ToString().ToLowerInvariant()}: {failure}");
        }
        // The stored last error is "{offline|error}: {message}"; ReadStatusAsync is the one place that reads it back.
        if (key is not null)
        {
            lock (_persistLock)
            {
                _persisted = _persisted.ContinueWith(async _ =>
                {
                    await store.SetMetaAsync(key, value);
                    if (key2 is not null)
                    {
                        await store.SetMetaAsync(key2, null);
                    }
                    if (roundMs is { } ms)
                    {
                        await store.SetMetaAsync(LastRoundMsKey, ms.ToString(System.Globalization.CultureInfo.InvariantCulture));
                    }
                }, TaskScheduler.Default).Unwrap();
            }
        }
        changed(_status);
    }

    /// <summary>How this device hears about other devices' changes now (<see cref="RealtimeMode"/>), or null.</summary>
    public void SetRealtime(string? mode)
    {
        if (_realtime == mode)
        {
            return;
        }
        _realtime = mode;
        _status = _status with { Realtime = mode };
        changed(_status);
    }

    /// <summary>This device's sync state as the store keeps it (see <see cref="SyncStatusReport"/>).</summary>
    public async Task<SyncStatusReport> ReadAsync(bool signedIn)
    {
        var pending = await store.PendingCountAsync();
        var last = await store.GetMetaAsync(LastSyncedKey);
        var stored = await store.GetMetaAsync(LastErrorKey);
        var paused = await store.GetMetaAsync(PausedKey) == "1";
        var roundMs = long.TryParse(await store.GetMetaAsync(LastRoundMsKey), out var ms) ? ms : (long?)null;
        var conflicts = await store.ConflictCountAsync();
        var (failed, error) = stored switch
        {
            null => ((SyncState?)null, (string?)null),
            _ when stored.StartsWith("offline: ", StringComparison.Ordinal) => (SyncState.Offline, stored["offline: ".Length..]),
            _ when stored.StartsWith("error: ", StringComparison.Ordinal) => (SyncState.Error, stored["error: ".Length..]),
            _ => (SyncState.Error, stored),
        };
        var state = !signedIn ? SyncState.SignedOut : paused ? SyncState.Paused : failed ?? SyncState.Idle;
        return new SyncStatusReport(state, pending, last, error, paused, roundMs, conflicts);
    }
}
