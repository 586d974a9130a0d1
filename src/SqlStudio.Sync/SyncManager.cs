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
public sealed partial class SyncManager : IAsyncDisposable
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
    private Task? _listener;
    private readonly object _persistLock = new();
    private Task _persisted = Task.CompletedTask;
    private SyncStatus _status = new(SyncState.Idle, 0, null, null);
    private bool _paused;

    public SyncManager(LocalStore store, AuthSession auth, SyncApi api, Uri server, SyncClientOptions? options = null, TimeProvider? time = null)
    {
        _store = store;
        _auth = auth;
        _api = api;
        Server = server;
        _options = options ?? new SyncClientOptions();
        _time = time ?? TimeProvider.System;
        _auth.SignedOut += (_, _) => _ = PublishQuietlyAsync(SyncState.SignedOut, "Signed out: log in again.");
        Metrics = new SyncClientMetrics(this);
    }

    /// <summary>This manager's instruments (meter <c>SqlStudio.Sync.Client</c>).</summary>
    public SyncClientMetrics Metrics { get; }

    public const string LastRoundMsKey = "last_round_ms";

    public Uri Server { get; }

    public LocalStore Store => _store;

    public SyncStatus Status => _status;

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

    // ---- Local changes --------------------------------------------------------------------------------------

    /// <summary>Saves changed fields of a record on this device and queues them; returns the local record.</summary>
    public async Task<LocalRecord> PushChangeAsync(string type, string id, JsonObject changes)
    {
        var policy = await HistoryPolicyAsync();
        var change = Prepare(type, id, changes, policy);
        var now = _time.GetUtcNow();
        var record = await _store.WriteAsync(async (c, t) =>
        {
            await ApplyAsync(c, t, change, now);
            return (await LocalStore.GetAsync(c, t, type, id))!;
        });
        Wake();
        return record;
    }

    /// <summary>
    /// Many changes in one local transaction (a bulk edit, a paste of many rows, a batch of history): each still its own
    /// mutation, and each through the same path as <see cref="PushChangeAsync"/> (type check, secrets, history policy).
    /// </summary>
    public async Task PushChangesAsync(IEnumerable<(string Type, string Id, JsonObject Changes)> changes)
    {
        var policy = await HistoryPolicyAsync();
        var prepared = changes.Select(c => Prepare(c.Type, c.Id, c.Changes, policy)).ToList();
        var now = _time.GetUtcNow();
        await _store.WriteAsync(async (c, t) =>
        {
            foreach (var change in prepared)
            {
                await ApplyAsync(c, t, change, now);
            }
            return true;
        });
        Wake();
    }

    /// <summary>A local change made ready: what may leave the device, what stays (secrets), and whether it syncs at all.</summary>
    private sealed record PreparedChange(string Type, string Id, JsonObject Shareable, Dictionary<string, string> Secrets, bool LocalOnly);

    /// <summary>The history settings (synced preferences), read once per call.</summary>
    private sealed record HistoryPolicy(bool Enabled, bool SkipSensitive, IReadOnlyList<string> Keywords);

    /// <summary>The one change path: the type is known, credentials go to the device-only store, history follows the user's settings.</summary>
    private static PreparedChange Prepare(string type, string id, JsonObject changes, HistoryPolicy history)
    {
        if (EntityTypes.All.All(t => t != type))
        {
            throw new ArgumentException($"Unknown entity type '{type}'.", nameof(type));
        }
        var (shareable, secrets) = SyncPolicy.StripSecrets(type, changes);
        if (type != "query_history")
        {
            return new PreparedChange(type, id, shareable, secrets, false);
        }
        if (!history.Enabled)
        {
            return new PreparedChange(type, id, shareable, secrets, true);
        }
        if (shareable["query_text"] is JsonValue text && text.TryGetValue<string>(out var query) && SyncPolicy.SensitiveKeyword(query, history.Keywords) is not null)
        {
            if (history.SkipSensitive)
            {
                return new PreparedChange(type, id, shareable, secrets, true);
            }
            // Masked here, so the device and the server hold the same statement (a pulled echo would replace an unmasked copy).
            shareable = (JsonObject)shareable.DeepClone();
            shareable["query_text"] = SyncPolicy.RedactQuery(query, history.Keywords);
        }
        return new PreparedChange(type, id, shareable, secrets, false);
    }

    private async Task ApplyAsync(SqliteConnection c, SqliteTransaction t, PreparedChange change, DateTimeOffset now)
    {
        var (type, id) = (change.Type, change.Id);
        foreach (var (field, value) in change.Secrets)
        {
            await _store.PutSecretAsync(c, t, type, id, field, value);
        }
        var existing = await LocalStore.GetAsync(c, t, type, id);
        var data = existing is null ? new JsonObject() : (JsonObject)existing.Data.DeepClone();
        foreach (var (field, value) in change.Shareable)
        {
            data[field] = value?.DeepClone();
        }
        await LocalStore.PutAsync(c, t, type, id, existing?.Version ?? 0, existing?.ServerSeq ?? 0, data, false, Stamp(now));
        if (!change.LocalOnly)
        {
            await EnqueueAsync(c, t, type, id, existing, change.Shareable, isDelete: false, now);
        }
    }

    public async Task DeleteAsync(string type, string id)
    {
        var now = _time.GetUtcNow();
        await _store.WriteAsync(async (c, t) =>
        {
            var existing = await LocalStore.GetAsync(c, t, type, id);
            if (existing is null)
            {
                return false;
            }
            await LocalStore.PutAsync(c, t, type, id, existing.Version, existing.ServerSeq, existing.Data, true, Stamp(now));
            await EnqueueAsync(c, t, type, id, existing, null, isDelete: true, now);
            await LocalStore.RemoveSecretsAsync(c, t, type, id);
            return true;
        });
        Wake();
    }

    private async Task EnqueueAsync(SqliteConnection c, SqliteTransaction t, string type, string id, LocalRecord? existing, JsonObject? changes,
        bool isDelete, DateTimeOffset now)
    {
        var pending = await LocalStore.PendingAsync(c, t, type, id);
        var isNew = existing is null || (existing.Version == 0 && pending is not null && pending.BaseVersion == 0);
        var due = SyncPolicy.DueAt(type, isNew, isDelete, changes, now, _options);
        if (pending is not null && due > now && DateTimeOffset.Parse(pending.DueAt) < due && changes?.ContainsKey("content") != true)
        {
            due = DateTimeOffset.Parse(pending.DueAt);
        }
        if (isDelete && existing is { Version: 0 } && pending is not null)
        {
            // Never reached the server: forget it here too.
            await LocalStore.DequeueAsync(c, t, pending.Seq);
            await LocalStore.RemoveAsync(c, t, type, id);
            return;
        }
        JsonObject? data;
        if (isDelete)
        {
            data = null;
        }
        else if (pending is { Op: "upsert", Data: { } pendingData })
        {
            data = pendingData;
            foreach (var (field, value) in changes!)
            {
                data[field] = value?.DeepClone();
            }
        }
        else
        {
            data = (JsonObject)changes!.DeepClone();
            if (pending is { Op: "delete" } && existing is not null)
            {
                // Deleted and saved again before either went out: send the whole record.
                data = (JsonObject)existing.Data.DeepClone();
                foreach (var (field, value) in changes)
                {
                    data[field] = value?.DeepClone();
                }
            }
        }
        var baseVersion = pending?.BaseVersion ?? existing?.Version ?? 0;
        await LocalStore.EnqueueAsync(c, t, type, id, isDelete ? "delete" : "upsert", baseVersion, Stamp(now), data?.ToJsonString(), Stamp(due));
        if (type == "query_history" && await LocalStore.PendingCountAsync(c, t, type) >= _options.HistoryBatchSize)
        {
            await LocalStore.MakeDueAsync(c, t, type, Stamp(now));
        }
    }

    private async Task<HistoryPolicy> HistoryPolicyAsync()
    {
        var enabled = await _store.GetAsync("ui_preferences", HistoryPreferences.EnabledKey);
        var skip = await _store.GetAsync("ui_preferences", HistoryPreferences.SkipSensitiveKey);
        var keywords = (await _store.GetAsync("ui_preferences", HistoryPreferences.RedactionKeywordsKey)) is { Deleted: false } k && k.Data["value"] is JsonArray list
            ? list.Select(x => x?.ToString() ?? "").ToArray()
            : HistoryPreferences.DefaultRedactionKeywords;
        return new HistoryPolicy(
            !(enabled is { Deleted: false } && enabled.Data["value"] is JsonValue v && v.TryGetValue<bool>(out var on) && !on),
            skip is { Deleted: false } && skip.Data["value"] is JsonValue s && s.TryGetValue<bool>(out var yes) && yes,
            keywords);
    }

    private static string Stamp(DateTimeOffset time) => WireTime.ToText(time);

    private void Wake() => _wake.Release();

    /// <summary>From an event handler, which cannot wait: a store closed meanwhile only means nobody is listening.</summary>
    private async Task PublishQuietlyAsync(SyncState state, string error)
    {
        try
        {
            await PublishAsync(state, error);
        }
        catch (Exception ex) when (ex is ObjectDisposedException or Microsoft.Data.Sqlite.SqliteException)
        {
        }
    }

    private async Task PublishAsync(SyncState state, string? error = null, DateTimeOffset? syncedAt = null, long? roundMs = null)
    {
        var pending = await _store.PendingCountAsync();
        _status = new SyncStatus(state, pending, syncedAt ?? _status.LastSyncedAt, state is SyncState.Idle or SyncState.Syncing ? null : error ?? _status.LastError,
            _realtime);
        // What `sqlstudio sync status` shows from another process: the last sync and the last error, kept in the store.
        // Written in order, off the caller's thread (a status change never waits on the disk).
        string? key = null, value = null, key2 = null;
        if (syncedAt is { } synced)
        {
            (key, value) = (LastSyncedKey, Stamp(synced));
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
                    await _store.SetMetaAsync(key, value);
                    if (key2 is not null)
                    {
                        await _store.SetMetaAsync(key2, null);
                    }
                    if (roundMs is { } ms)
                    {
                        await _store.SetMetaAsync(LastRoundMsKey, ms.ToString(System.Globalization.CultureInfo.InvariantCulture));
                    }
                }, TaskScheduler.Default).Unwrap();
            }
        }
        StatusChanged?.Invoke(this, _status);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        foreach (var task in new[] { _worker, _listener, _persisted })
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
