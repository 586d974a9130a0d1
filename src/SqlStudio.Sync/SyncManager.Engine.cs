using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dapper;
using SqlStudio.Contracts;

namespace SqlStudio.Sync;

public sealed partial class SyncManager
{

    /// <summary>Pushes everything waiting (due or not), then pulls; fails if either could not finish.</summary>
    public async Task<SyncResult> SyncNowAsync(IProgress<SyncProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        await _round.WaitAsync(cancellationToken);
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            await PublishAsync(SyncState.Syncing);
            var (pushed, conflicts, rejected) = await PushCoreAsync(dueOnly: false, progress, cancellationToken);
            var pulled = await PullCoreAsync(progress, cancellationToken);
            var took = System.Diagnostics.Stopwatch.GetElapsedTime(started);
            Metrics.Round(took);
            await PublishAsync(SyncState.Idle, syncedAt: _time.GetUtcNow(), roundMs: (long)took.TotalMilliseconds);
            await _store.SetMetaAsync("last_synced_at", Stamp(_time.GetUtcNow()));
            return new SyncResult(pushed, pulled, conflicts, rejected);
        }
        catch (OfflineException ex)
        {
            Metrics.Error("offline");
            await PublishAsync(SyncState.Offline, ex.Message);
            throw;
        }
        catch (SignedOutException ex)
        {
            await PublishAsync(SyncState.SignedOut, ex.Message);
            throw;
        }
        catch (SyncApiException ex)
        {
            Metrics.Error("error");
            await PublishAsync(SyncState.Error, ex.Message);
            throw;
        }
        finally
        {
            _round.Release();
        }
    }

    /// <summary>Pushes what is due now (what the background worker does each round); the number of mutations sent.</summary>
    public async Task<int> PushDueAsync(CancellationToken cancellationToken = default)
    {
        await _round.WaitAsync(cancellationToken);
        try
        {
            return (await PushCoreAsync(dueOnly: true, null, cancellationToken)).Pushed;
        }
        finally
        {
            _round.Release();
        }
    }

    /// <summary>Pulls every change since the stored cursor, a page per local transaction.</summary>
    public async Task<int> PullChangesAsync(IProgress<SyncProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        await _round.WaitAsync(cancellationToken);
        try
        {
            return await PullCoreAsync(progress, cancellationToken);
        }
        finally
        {
            _round.Release();
        }
    }

    private async Task<(int Pushed, int Conflicts, List<MutationResult> Rejected)> PushCoreAsync(bool dueOnly, IProgress<SyncProgress>? progress, CancellationToken ct)
    {
        var deviceId = await DeviceIdAsync();
        var (pushed, conflicts) = (0, 0);
        var rejected = new List<MutationResult>();
        var total = await _store.PendingCountAsync();
        while (true)
        {
            var batch = await _store.OutboxAsync(dueOnly ? Stamp(_time.GetUtcNow()) : null, _options.PushBatchSize);
            if (batch.Count == 0)
            {
                return (pushed, conflicts, rejected);
            }
            var mutations = batch.Select(e => new Mutation(e.MutationId, e.Type, e.Id, e.Op, e.BaseVersion, e.UpdatedAt,
                e.Data is null ? null : JsonSerializer.SerializeToElement(e.Data))).ToList();
            Interlocked.Increment(ref _pushRequests);
            var response = await _api.PushAsync(Server, deviceId, mutations, ct, pending: Math.Max(0, total - pushed));
            var notices = await _store.WriteAsync(async (c, t) =>
            {
                var found = new List<ConflictNotice>();
                for (var i = 0; i < batch.Count; i++)
                {
                    var (entry, result) = (batch[i], response.Results[i]);
                    var current = await LocalStore.PendingAsync(c, t, entry.Type, entry.Id);
                    var unchanged = current?.MutationId == entry.MutationId;
                    if (unchanged)
                    {
                        await LocalStore.DequeueAsync(c, t, current!.Seq);
                    }
                    if (result.Status == MutationStatus.Rejected)
                    {
                        rejected.Add(result);
                        continue;
                    }
                    if (result.Record is { } record)
                    {
                        await Puller.ApplyServerRecordAsync(c, t, entry.Type, record, unchanged ? null : current);
                        if (!unchanged && current is not null)
                        {
                            // Changed again while this push was in flight: the new change builds on what the server now has.
                            await LocalStore.RebaseAsync(c, t, current.Seq, record["version"]!.GetValue<long>());
                        }
                    }
                    else if (unchanged && result.Version > 0)
                    {
                        await LocalStore.RaiseVersionAsync(c, t, entry.Type, entry.Id, result.Version);
                    }
                    if (result.ConflictId is { } conflictId && result.Status is MutationStatus.ConflictWon or MutationStatus.ConflictLost)
                    {
                        await LocalStore.AddConflictAsync(c, t, conflictId, entry.Type, entry.Id, result.Status);
                        var local = await LocalStore.GetAsync(c, t, entry.Type, entry.Id);
                        var title = local is null ? null : RecordTitles.Of(entry.Type, entry.Id,
                            field => local.Data[field] is JsonValue v && v.TryGetValue<string>(out var text) ? text : null);
                        found.Add(new ConflictNotice(conflictId, entry.Type, entry.Id, result.Status, title));
                    }
                }
                return found;
            });
            pushed += batch.Count;
            conflicts += notices.Count;
            Metrics.Conflicts(notices.Count);
            foreach (var notice in notices)
            {
                ConflictDetected?.Invoke(this, notice);
            }
            progress?.Report(new SyncProgress("push", Math.Min(pushed, total), Math.Max(total, pushed)));
            if (batch.Count < _options.PushBatchSize && dueOnly)
            {
                return (pushed, conflicts, rejected);
            }
        }
    }

    private async Task<int> PullCoreAsync(IProgress<SyncProgress>? progress, CancellationToken ct) =>
        await _puller.PullAsync(await DeviceIdAsync(), progress, ct);
}
