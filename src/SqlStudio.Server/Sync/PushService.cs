using System.Data.Common;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Dapper;
using SqlStudio.Contracts;
using SqlStudio.Server.Data;

namespace SqlStudio.Server.Sync;

/// <summary>
/// Applies a device's mutations in one transaction: idempotent by (device, mutation id), validated against the
/// catalogue, merged per field against <c>base_version</c>, last-write-wins with a conflict row when edits overlap.
/// </summary>
public sealed partial class PushService(Db db, SyncOptions options, SyncMetrics metrics, TimeProvider time)
{
    private static readonly JsonSerializerOptions ResultJson = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private sealed record StoredResult(string Status, long Version, long ServerSeq, string? ConflictId, MutationError? Error);

    private sealed record StoredMutation(string Id, string Result);

    public async Task<Outcome<PushResponse>> PushAsync(string userId, PushRequest request)
    {
        if (Validate(request) is { } invalid)
        {
            return invalid;
        }
        var watch = Stopwatch.StartNew();
        var deviceId = request.DeviceId!;
        var (results, cursor, conflicts, revoked) = await db.WriteAsync(async (c, t) =>
        {
            var now = time.GetUtcNow();
            if (await Devices.EnsureAsync(c, t, userId, deviceId, Clock.Format(now)) is false)
            {
                return (new List<MutationResult>(), 0L, 0, true);
            }
            var list = new List<MutationResult>(request.Mutations!.Count);
            var conflictCount = 0;
            var applied = await AppliedAsync(c, t, userId, deviceId, request.Mutations!);
            var rows = await RowsAsync(c, t, userId, request.Mutations!);
            var recorded = new List<StoredMutation>();
            var cursorValues = await CursorValues.TakeAsync(c, t, userId);
            foreach (var mutation in request.Mutations!)
            {
                var result = await ApplyAsync(c, t, userId, deviceId, mutation, now, applied, rows, recorded, cursorValues);
                conflictCount += result.Status is MutationStatus.ConflictWon or MutationStatus.ConflictLost ? 1 : 0;
                list.Add(result);
            }
            await RecordAsync(c, t, userId, deviceId, recorded, now);
            await cursorValues.SaveAsync(c, t);
            var seq = cursorValues.Current;
            await Devices.MarkSyncedAsync(c, t, userId, deviceId, seq, Clock.Format(now));
            return (list, seq, conflictCount, false);
        });
        if (revoked)
        {
            return Devices.RevokedFailure;
        }
        metrics.Record("push", results.Count, conflicts, results.Count(r => r.Status == MutationStatus.Rejected), watch.Elapsed);
        await Activity.RecordAsync(db, userId, deviceId, "push", results.Count, conflicts, 0, watch.Elapsed,
            results.FirstOrDefault(r => r.Error is not null)?.Error?.Code, time);
        return new PushResponse(results, cursor);
    }

    private Failure? Validate(PushRequest request)
    {
        var errors = new Dictionary<string, string[]>();
        if (!IsId(request.DeviceId))
        {
            errors["device_id"] = ["device_id is required: up to 100 letters, digits, '-', '_', '.' or ':'."];
        }
        if (request.Mutations is null)
        {
            errors["mutations"] = ["mutations is required."];
        }
        else if (request.Mutations.Count > options.MaxMutationsPerPush)
        {
            errors["mutations"] = [$"At most {options.MaxMutationsPerPush} mutations per push; send the rest in the next one."];
        }
        return errors.Count > 0 ? Failure.Validation(errors) : null;
    }

    /// <summary>
    /// The stored results of this push's mutation ids that were applied before, in one query (not one per mutation:
    /// on a remote database every statement is a round trip). Kept up to date as the push applies mutations.
    /// </summary>
    private static async Task<Dictionary<string, string>> AppliedAsync(DbConnection c, DbTransaction t, string userId, string deviceId, IEnumerable<Mutation> mutations)
    {
        var ids = mutations.Select(m => m.MutationId).Where(id => id is not null && IsId(id)).Distinct(StringComparer.Ordinal).ToArray();
        var rows = await c.QueryAsync<(string MutationId, string Result)>(
            """
            SELECT mutation_id, result FROM sync_mutations
            WHERE user_id = @userId AND device_id = @deviceId AND mutation_id IN (SELECT value FROM json_each(@ids))
            """,
            new { userId, deviceId, ids = JsonSerializer.Serialize(ids) }, t);
        return rows.ToDictionary(r => r.MutationId, r => r.Result, StringComparer.Ordinal);
    }

    /// <summary>
    /// The current rows of the records this push touches, per type in one query each; an id without a row maps to
    /// null. The push keeps it current as it writes, and empties it when a cascade changes rows it did not load.
    /// </summary>
    private static async Task<Dictionary<(string Type, string Id), SyncRow?>> RowsAsync(DbConnection c, DbTransaction t, string userId, IEnumerable<Mutation> mutations)
    {
        var rows = new Dictionary<(string, string), SyncRow?>();
        var byType = mutations
            .Where(m => m.EntityId is not null && IsId(m.EntityId) && EntityCatalogue.Find(m.EntityType) is not null)
            .GroupBy(m => m.EntityType!, StringComparer.Ordinal);
        foreach (var group in byType)
        {
            var spec = EntityCatalogue.Find(group.Key)!;
            var ids = group.Select(m => m.EntityId!).Distinct(StringComparer.Ordinal).ToArray();
            foreach (var id in ids)
            {
                rows[(spec.Type, id)] = null;
            }
            foreach (var row in await SyncStore.LoadManyAsync(c, t, spec, userId, ids))
            {
                rows[(spec.Type, row.Id)] = row;
            }
        }
        return rows;
    }

    private async Task<MutationResult> ApplyAsync(DbConnection c, DbTransaction t, string userId, string deviceId, Mutation m, DateTimeOffset now,
        Dictionary<string, string> applied, Dictionary<(string Type, string Id), SyncRow?> rows, List<StoredMutation> recorded, CursorValues cursor)
    {
        var mutationId = m.MutationId ?? "";
        if (!IsId(mutationId))
        {
            return Rejected(mutationId, "invalid_mutation_id", "mutation_id is required: up to 100 letters, digits, '-', '_', '.' or ':'.");
        }
        if (applied.TryGetValue(mutationId, out var stored))
        {
            var earlier = JsonSerializer.Deserialize<StoredResult>(stored, ResultJson)!;
            return new MutationResult(mutationId, MutationStatus.Duplicate, earlier.Version, earlier.ServerSeq, null, earlier.ConflictId, earlier.Error);
        }
        var result = await DecideAsync(c, t, userId, deviceId, m, mutationId, now, rows, cursor);
        var serialized = JsonSerializer.Serialize(new StoredResult(result.Status, result.Version, result.ServerSeq, result.ConflictId, result.Error), ResultJson);
        applied[mutationId] = serialized;
        recorded.Add(new StoredMutation(mutationId, serialized));
        return result;
    }

    /// <summary>Stores the push's results for replays, all in one statement, in the push's transaction.</summary>
    private static async Task RecordAsync(DbConnection c, DbTransaction t, string userId, string deviceId, List<StoredMutation> recorded, DateTimeOffset now)
    {
        if (recorded.Count == 0)
        {
            return;
        }
        await c.ExecuteAsync(
            """
            INSERT INTO sync_mutations (user_id, device_id, mutation_id, result, applied_at)
            SELECT @userId, @deviceId, json_extract(value, '$[0]'), json_extract(value, '$[1]'), @now FROM json_each(@items)
            """,
            new { userId, deviceId, now = Clock.Format(now), items = JsonSerializer.Serialize(recorded.Select(r => new[] { r.Id, r.Result })) }, t);
    }

    private async Task<MutationResult> DecideAsync(DbConnection c, DbTransaction t, string userId, string deviceId, Mutation m, string mutationId, DateTimeOffset now,
        Dictionary<(string Type, string Id), SyncRow?> rows, CursorValues cursor)
    {
        if (EntityCatalogue.Find(m.EntityType) is not { } spec)
        {
            return Rejected(mutationId, "unknown_type", $"entity_type must be one of: {string.Join(", ", EntityTypes.All)}.");
        }
        if (!IsId(m.EntityId))
        {
            return Rejected(mutationId, "invalid_id", "entity_id is required: up to 100 letters, digits, '-', '_', '.' or ':'.");
        }
        if (m.Op is not ("upsert" or "delete"))
        {
            return Rejected(mutationId, "invalid_op", "op must be 'upsert' or 'delete'.");
        }
        if (SyncRecords.NormalizeTime(m.UpdatedAt) is not { } updatedAt)
        {
            return Rejected(mutationId, "invalid_updated_at", "updated_at must be an ISO-8601 time.");
        }
        // A device clock far in the future would win every conflict for ever: it counts as "now".
        var latest = Clock.Format(now + options.MaxClockSkew);
        if (string.CompareOrdinal(updatedAt, latest) > 0)
        {
            updatedAt = latest;
        }
        var id = m.EntityId!;
        var existing = rows.TryGetValue((spec.Type, id), out var known) ? known : await SyncStore.LoadAsync(c, t, spec, userId, id);
        if (m.BaseVersion < 0 || m.BaseVersion > (existing?.Version ?? 0))
        {
            return Rejected(mutationId, "invalid_base_version", $"base_version {m.BaseVersion} is not a version this record has had.");
        }

        Dictionary<string, object?> changes;
        if (m.Op == "delete")
        {
            if (existing is null or { Deleted: true })
            {
                // Nothing to delete (never synced, or already gone): done, and nothing changes.
                return new MutationResult(mutationId, MutationStatus.Applied, existing?.Version ?? 0, existing?.ServerSeq ?? 0,
                    existing is null ? null : SyncRecords.ToJson(spec, existing));
            }
            changes = new() { [SyncRecords.DeletedField] = true };
        }
        else
        {
            if (existing is not null && spec.AppendOnly && !existing.Deleted)
            {
                // Append-only records never change once written: the same id again is the same record.
                return new MutationResult(mutationId, MutationStatus.Duplicate, existing.Version, existing.ServerSeq, SyncRecords.ToJson(spec, existing));
            }
            var (values, error) = SyncRecords.Read(spec, m.Data ?? default, isNew: existing is null);
            if (error is not null)
            {
                return Rejected(mutationId, error.Code, error.Message);
            }
            changes = values!;
            if (await CheckRulesAsync(c, t, spec, userId, id, existing, changes) is { } ruleError)
            {
                return Rejected(mutationId, ruleError.Code, ruleError.Message);
            }
            if (existing is { Deleted: true })
            {
                changes[SyncRecords.DeletedField] = false;
            }
        }

        var nowText = Clock.Format(now);
        if (existing is null)
        {
            var created = await SyncWriter.WriteAsync(c, t, spec, userId, id, null, changes, updatedAt, deviceId, nowText, cursor);
            rows[(spec.Type, id)] = created;
            return new MutationResult(mutationId, MutationStatus.Applied, created.Version, created.ServerSeq, SyncRecords.ToJson(spec, created));
        }

        var (decision, conflicting, rival) = SyncMerge.Decide(existing, m.BaseVersion, changes, updatedAt, deviceId);
        string? conflictId = null;
        if (decision is MergeDecision.ConflictWon or MergeDecision.ConflictLost)
        {
            // Both sides of the fields in question, for the side-by-side view and for resolving later.
            var pushed = changes.Where(c => conflicting.Contains(c.Key)).ToDictionary();
            var before = existing.Values.Where(v => conflicting.Contains(v.Key)).ToDictionary();
            var deletedInQuestion = conflicting.Contains(SyncRecords.DeletedField);
            var local = SyncRecords.FieldsToJson(spec, pushed, deletedInQuestion ? changes[SyncRecords.DeletedField] is true : null);
            var remote = SyncRecords.FieldsToJson(spec, before, deletedInQuestion ? existing.Deleted : null);
            conflictId = await SyncWriter.RecordConflictAsync(c, t, userId, spec, id, conflicting, local, remote, deviceId, updatedAt, rival!,
                decision == MergeDecision.ConflictWon, nowText);
        }
        // Losing keeps the server's value of the conflicting fields only; the mutation's other fields still count.
        var toApply = decision == MergeDecision.ConflictLost
            ? changes.Where(change => !conflicting.Contains(change.Key)).ToDictionary()
            : changes;
        if (toApply.Count == 0)
        {
            return new MutationResult(mutationId, MutationStatus.ConflictLost, existing.Version, existing.ServerSeq, SyncRecords.ToJson(spec, existing), conflictId);
        }
        var written = await SyncWriter.WriteAsync(c, t, spec, userId, id, existing, toApply, updatedAt, deviceId, nowText, cursor);
        rows[(spec.Type, id)] = written;
        if (await SyncWriter.CascadeDeleteAsync(c, t, spec, userId, written, deviceId, nowText, cursor) > 0)
        {
            rows.Clear();
        }
        var status = decision switch
        {
            MergeDecision.Applied => MutationStatus.Applied,
            MergeDecision.Merged => MutationStatus.Merged,
            MergeDecision.ConflictWon => MutationStatus.ConflictWon,
            _ => MutationStatus.ConflictLost,
        };
        return new MutationResult(mutationId, status, written.Version, written.ServerSeq, SyncRecords.ToJson(spec, written), conflictId);
    }

    /// <summary>Rules beyond single fields: a message needs its chat; a preference's id is its key.</summary>
    internal static async Task<RecordError?> CheckRulesAsync(DbConnection c, DbTransaction t, EntitySpec spec, string userId, string id,
        SyncRow? existing, IReadOnlyDictionary<string, object?> values)
    {
        if (spec.Parent is { } parent && values.TryGetValue(parent.Name, out var parentId) && parentId is string pid)
        {
            var parentSpec = EntityCatalogue.Find(spec.ParentType)!;
            if (await SyncStore.LoadAsync(c, t, parentSpec, userId, pid) is null or { Deleted: true })
            {
                return new RecordError("missing_parent", $"{spec.Type} {id} belongs to {parentSpec.Type} {pid}, which does not exist; push it first.");
            }
        }
        if (spec == EntityCatalogue.UiPreferences && values.TryGetValue("key", out var key) && key is string k && k != id)
        {
            return new RecordError("invalid_id", "A preference's id is its key.");
        }
        if (existing is not null && spec.Parent is { } p && values.TryGetValue(p.Name, out var moved) && !Equals(moved, existing.Values[p.Name]))
        {
            return new RecordError("invalid_field", $"{p.Name} cannot change.");
        }
        return null;
    }

    private static MutationResult Rejected(string mutationId, string code, string message) =>
        new(mutationId, MutationStatus.Rejected, 0, 0, null, null, new MutationError(code, message));

    public static bool IsId(string? value) => value is { Length: > 0 and <= 100 } && IdPattern().IsMatch(value);

    [GeneratedRegex("^[A-Za-z0-9_.:-]+$")]
    private static partial Regex IdPattern();
}
