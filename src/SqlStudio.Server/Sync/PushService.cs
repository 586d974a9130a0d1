using System.Diagnostics;
using SqlStudio.Contracts;
using SqlStudio.Server.Data;

namespace SqlStudio.Server.Sync;

/// <summary>
/// Applies a device's mutations: idempotent by (device, mutation id), validated against the catalogue, merged per
/// field against <c>base_version</c>, last-write-wins with a conflict row when edits overlap. Two round trips on a
/// remote database whatever the push's size: one batch of reads, the decisions in memory (<see cref="PushPlan"/>),
/// one batch of writes guarded by the cursor it read. No write lock is held while anything crosses the network.
/// </summary>
public sealed class PushService(Db db, SyncOptions options, SyncMetrics metrics, TimeProvider time, AccountGate gate, ILogger<PushService> logger)
{
    public static readonly Failure BusyFailure = new(503, SyncErrorCodes.SyncBusy,
        "Your other devices are syncing a lot right now; this push was not applied. Try again in a moment.") { RetryAfter = TimeSpan.FromSeconds(1) };

    /// <summary>
    /// Pushes for one account take turns on this instance (no two race for its cursor here); a race with another
    /// instance reads again after a short jittered pause. Only past <see cref="SyncOptions.PushWaitBudget"/> does the push
    /// give up with 503 <c>sync_busy</c> and Retry-After.
    /// </summary>
    public async Task<Outcome<PushResponse>> PushAsync(string userId, PushRequest request, CancellationToken cancellationToken = default)
    {
        if (PushValidator.ValidateRequest(request, options.MaxMutationsPerPush) is { } invalid)
        {
            return invalid;
        }
        var budget = Stopwatch.StartNew();
        using var turn = await gate.WaitAsync(userId, options.PushWaitBudget, cancellationToken);
        if (turn is null)
        {
            logger.LogWarning("Push for {UserId} waited {Budget} for its turn; answered busy", userId, options.PushWaitBudget);
            return BusyFailure;
        }
        var mutations = request.Mutations!.ToArray();
        var outcome = await InTurnAsync(userId, request.DeviceId!, SyncWriteKind.Push, () => Task.FromResult<Outcome<Mutation[]>>(mutations),
            null, budget, cancellationToken);
        if (outcome.Value is not null && request.Pending is { } pending)
        {
            metrics.ClientPending(pending);
        }
        return outcome;
    }

    /// <summary>
    /// The one write path for synced rows, for every writer that is not a device's push (a resolution, by a device or
    /// on the web): the mutations <paramref name="prepare"/> builds go through the same validation, rules, merge and
    /// cascade as a push, in the same round trips, with the writer's own statements (<paramref name="also"/>) in the
    /// same guarded batch. <paramref name="prepare"/> runs again whenever another writer got in first, so what it read
    /// (a conflict still unresolved) is true when the batch commits.
    /// </summary>
    internal async Task<Outcome<PushResponse>> ApplyAsync(string userId, string deviceId, SyncWriteKind kind,
        Func<Task<Outcome<Mutation[]>>> prepare, Func<SyncWritten, IEnumerable<SqlStatement>>? also, CancellationToken cancellationToken)
    {
        var budget = Stopwatch.StartNew();
        using var turn = await gate.WaitAsync(userId, options.PushWaitBudget, cancellationToken);
        if (turn is null)
        {
            return BusyFailure;
        }
        return await InTurnAsync(userId, deviceId, kind, prepare, also, budget, cancellationToken);
    }

    private async Task<Outcome<PushResponse>> InTurnAsync(string userId, string deviceId, SyncWriteKind kind,
        Func<Task<Outcome<Mutation[]>>> prepare, Func<SyncWritten, IEnumerable<SqlStatement>>? also, Stopwatch budget, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        var refused = new Dictionary<string, MutationError>(StringComparer.Ordinal);
        var guardFailures = 0;
        while (true)
        {
            var prepared = await prepare();
            if (prepared.Failure is { } failure)
            {
                return failure;
            }
            var mutations = prepared.Value!;
            var now = time.GetUtcNow();
            var latest = StoredTime.Format(now + options.MaxClockSkew);
            var checkedMutations = mutations.Select(m => PushPlan.Checked.Of(m, latest)).ToList();
            var valid = checkedMutations.Select(m => m.Valid).OfType<ValidMutation>().ToList();
            var state = new PushState();
            await db.ReadBatchAsync(PushState.Reads(state, userId, deviceId, valid, valid.Select(m => m.MutationId)), cancellationToken);
            if (state.DeviceRevoked)
            {
                return Devices.RevokedFailure;
            }
            // The rows as read, copied before the plan writes over them, for a writer's own statements (an import's journal).
            var before = also is null ? null : state.Rows.ToDictionary(r => r.Key,
                r => r.Value is { } row ? new RowBefore(row.Deleted, SyncRecords.FieldsToJson(EntityCatalogue.Find(r.Key.Type)!, row.Values, row.Deleted)) : null);
            var plan = PushPlan.Decide(state, userId, deviceId, checkedMutations, now, refused, kind);
            if (kind.AllOrNothing && plan.Results.FirstOrDefault(r => r.Status == MutationStatus.Rejected) is { Error: { } refusal })
            {
                return new Failure(400, refusal.Code, refusal.Message);
            }
            var firstError = plan.Results.FirstOrDefault(r => r.Error is not null)?.Error?.Code;
            // A push's line counts what it sent; another writer's counts what it wrote, and names every refusal's code.
            var (records, lineError) = kind == SyncWriteKind.Push
                ? (plan.Results.Count, firstError)
                : (plan.Results.Count(r => r.Status is not (MutationStatus.Rejected or MutationStatus.Duplicate)),
                   plan.Results.Where(r => r.Error is not null).Select(r => r.Error!.Code).Distinct().ToList() is { Count: > 0 } codes ? string.Join(",", codes) : null);
            var batch = plan.Write(records, 0, watch.Elapsed, lineError, also?.Invoke(new SyncWritten(plan.Results, before!)));
            try
            {
                await db.WriteBatchAsync(batch, cancellationToken);
            }
            catch (WriteConflictException) when (budget.Elapsed < options.PushWaitBudget)
            {
                // Another writer (an import, a resolution, another instance) moved this user's cursor between our read
                // and write. A short jittered pause, growing with each race, lets it finish before we read again.
                guardFailures++;
                logger.LogDebug("Push for {UserId} raced another writer; reading again (attempt {Attempt})", userId, guardFailures + 1);
                await Task.Delay(Random.Shared.Next(1, 10 * Math.Min(guardFailures, 10)), cancellationToken);
                continue;
            }
            catch (WriteConflictException)
            {
                logger.LogWarning("Push for {UserId} gave up after {Attempts} races with other writers", userId, guardFailures);
                return BusyFailure;
            }
            catch (Exception ex) when (db.Provider.IsConstraintViolation(ex) && SqlBatch.FailedIndex(ex) is { } index &&
                                       plan.OwnerOf(index) is { } owner && !refused.ContainsKey(owner))
            {
                // The database refused one record (a constraint validation did not foresee): that mutation is rejected,
                // the rest of the push goes through.
                logger.LogWarning("Push mutation {MutationId} refused by the database: {Message}", owner, ex.Message);
                var error = valid.FirstOrDefault(m => m.MutationId == owner) is { } mutation
                    ? SyncRecords.Refused(mutation.Spec, ex)
                    : new RecordError(MutationErrorCodes.InvalidData, "The record was refused by the server's storage rules; correct it and push again.");
                refused[owner] = new MutationError(error.Code, error.Message);
                continue;
            }
            var types = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var mutation in valid)
            {
                // The same mutation may come twice in one push (the second is a duplicate).
                types.TryAdd(mutation.MutationId, mutation.Spec.Type);
            }
            foreach (var group in plan.Results.Where(r => r.Status != MutationStatus.Rejected && types.ContainsKey(r.MutationId)).GroupBy(r => types[r.MutationId]))
            {
                if (kind == SyncWriteKind.Push)
                {
                    metrics.Records("push", group.Key, group.Count());
                }
                metrics.Conflicts(group.Key, group.Count(r => r.Status is MutationStatus.ConflictWon or MutationStatus.ConflictLost));
            }
            return new PushResponse(plan.Results, plan.Cursor);
        }
    }

    /// <summary>Ids: 1 to 100 letters, digits, '-', '_', '.' or ':'.</summary>
    public static bool IsId(string? value) => PushValidator.IsId(value);
}

/// <summary>What a write decided (a result per mutation, in order) and the rows as they were before it: a writer's own statements are built from them.</summary>
public sealed record SyncWritten(IReadOnlyList<MutationResult> Results, IReadOnlyDictionary<(string Type, string Id), RowBefore?> Before);

/// <summary>A record as it was before a write: deleted or not, and its fields (with <c>deleted</c>) as JSON.</summary>
public sealed record RowBefore(bool Deleted, System.Text.Json.Nodes.JsonObject Fields);
