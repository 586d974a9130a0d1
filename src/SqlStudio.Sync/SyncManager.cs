using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Dapper;
using Microsoft.Data.Sqlite;
using SqlStudio.Contracts;

namespace SqlStudio.Sync;

public enum SyncState { Idle, Syncing, Offline, Error, SignedOut, Paused }

/// <summary>How this device hears about other devices' changes: <c>live</c> (event stream), <c>long_poll</c> or <c>poll</c> (degraded).</summary>
public static class RealtimeMode
{
    public const string Live = "live";
    public const string LongPoll = "long_poll";
    public const string Poll = "poll";
}

public sealed record SyncStatus(SyncState State, long Pending, DateTimeOffset? LastSyncedAt, string? LastError, string? Realtime = null);

/// <summary>
/// This device's sync state as its store keeps it, readable from another process (the CLI's <c>sync status</c>):
/// typed, so no caller parses a sentence. <see cref="State"/> is <c>SignedOut</c>, <c>Paused</c>, <c>Offline</c> or
/// <c>Error</c> (the last attempt failed: <see cref="LastError"/> says why), else <c>Idle</c>.
/// </summary>
public sealed record SyncStatusReport(SyncState State, long Pending, string? LastSyncedAt, string? LastError, bool Paused, long? LastRoundMs, long Conflicts);

public sealed record SyncProgress(string Phase, long Done, long Total);

public sealed record SyncResult(int Pushed, int Pulled, int Conflicts, IReadOnlyList<MutationResult> Rejected);

/// <summary>What a pulled page brought into the local store: how many records, of which types (for refreshing views).</summary>
public sealed record PulledChanges(int Count, IReadOnlyCollection<string> Types);

/// <summary>
/// A conflict this device's push met: which record (by its <see cref="Title"/>, as a person knows it), and whether this
/// device's edit was kept (<c>conflict_won</c>) or the other one (<c>conflict_lost</c>) until someone decides.
/// </summary>
public sealed record ConflictNotice(string ConflictId, string EntityType, string EntityId, string Status, string? Title = null);

/// <summary>
/// The sync engine of one signed-in profile, owned by its <see cref="SyncProfile"/> (no process-wide registry: the
/// profile that opened the store is the one that closes it).
/// Local changes commit with their outbox entry; a background worker pushes what is due (debounced and batched per
/// type), pulls by cursor, retries with backoff, and goes offline and back on its own.
/// </summary>
public sealed partial class SyncManager : IAsyncDisposable, IListenerHost
{
    private readonly LocalStore _store;
    private readonly AuthSession _auth;
    private readonly SyncApi _api;
    private readonly SyncClientOptions _options;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _round = new(1, 1);
    private readonly SemaphoreSlim _wake = new(0, int.MaxValue);
    private readonly CancellationTokenSource _stop = new();
    private readonly Random _random = new();
    private Task? _worker;
    private Task? _listening;
    private readonly RealtimeListener _listener;
    private readonly Puller _puller;
    private readonly Outbox _outbox;
    private readonly SyncStatusTracker _tracker;
    private bool _paused;

    public SyncManager(LocalStore store, AuthSession auth, SyncApi api, Uri server, SyncClientOptions? options = null, TimeProvider? time = null)
    {
        _store = store;
        _auth = auth;
        _api = api;
        Server = server;
        _options = options ?? new SyncClientOptions();
        _time = time ?? TimeProvider.System;
        _outbox = new Outbox(store, _options, _time, Wake);
        _tracker = new SyncStatusTracker(store, status => StatusChanged?.Invoke(this, status));
        _listener = new RealtimeListener(api, server, _options, _time, _tracker, this);
        _puller = new Puller(store, api, server, changes => ChangesPulled?.Invoke(this, changes));
        _auth.SignedOut += (_, _) => _ = _tracker.PublishQuietlyAsync(SyncState.SignedOut, "Signed out: log in again.");
        Metrics = new SyncClientMetrics(this);
    }

    /// <summary>This manager's instruments (meter <c>SqlStudio.Sync.Client</c>).</summary>
    public SyncClientMetrics Metrics { get; }

    public const string LastRoundMsKey = SyncStatusTracker.LastRoundMsKey;

    public Uri Server { get; }

    public LocalStore Store => _store;

    public SyncStatus Status => _tracker.Current;

    /// <summary>Counts pushes sent, for the tests of debounce and batching (apps read the meter's figures instead).</summary>
    internal int PushRequests => Volatile.Read(ref _pushRequests);

    private int _pushRequests;

    public event EventHandler<SyncStatus>? StatusChanged;

    public event EventHandler<ConflictNotice>? ConflictDetected;

    /// <summary>Raised after each pulled page is in the local store (other devices' changes arrived): views refresh from it.</summary>
    public event EventHandler<PulledChanges>? ChangesPulled;

    /// <summary>This device's id once read (events that carry it are the echo of this device's own pushes).</summary>
    private volatile string? _deviceId;

    public async Task<string> DeviceIdAsync()
    {
        if (await _store.GetMetaAsync("device_id") is { } id)
        {
            return _deviceId = id;
        }
        id = "dev-" + Guid.CreateVersion7().ToString("N");
        await _store.SetMetaAsync("device_id", id);
        return _deviceId = id;
    }

    // ---- Local changes (the outbox) --------------------------------------------------------------------------

    /// <summary>Saves changed fields of a record on this device and queues them; returns the local record.</summary>
    public Task<LocalRecord> PushChangeAsync(string type, string id, JsonObject changes) => _outbox.SaveAsync(type, id, changes);

    /// <summary>
    /// Many changes in one local transaction (a bulk edit, a paste of many rows, a batch of history): each still its own
    /// mutation, and each through the same path as <see cref="PushChangeAsync"/> (type check, secrets, history policy).
    /// </summary>
    public Task PushChangesAsync(IEnumerable<(string Type, string Id, JsonObject Changes)> changes) => _outbox.SaveManyAsync(changes);

    public Task DeleteAsync(string type, string id) => _outbox.DeleteAsync(type, id);

    private static string Stamp(DateTimeOffset time) => WireTime.ToText(time);

    private void Wake() => _wake.Release();

    private Task PublishAsync(SyncState state, string? error = null, DateTimeOffset? syncedAt = null, long? roundMs = null) =>
        _tracker.PublishAsync(state, error, syncedAt, roundMs);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        foreach (var task in new[] { _worker, _listening, _tracker.Persisted })
        {
            if (task is not null)
            {
                try
                {
                    await task;
                }
                catch (OperationCanceledException)
                {
                }
            }
        }
        Metrics.Dispose();
    }
}
