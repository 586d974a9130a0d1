using System.Text.Json;
using SqlStudio.Contracts;
using SqlStudio.Server.Data;

namespace SqlStudio.Server.Sync;

/// <summary>What a push reads before it decides, in one batch (one round trip, one snapshot).</summary>
public sealed class PushState
{
    /// <summary>The user's <c>sync_seq</c> as read: the write batch is guarded by it.</summary>
    public long Seq { get; set; }

    public bool DeviceKnown { get; set; }

    public bool DeviceRevoked { get; set; }

    /// <summary>Stored results of this push's mutation ids that were applied before.</summary>
    public Dictionary<string, string> Applied { get; } = new(StringComparer.Ordinal);

    /// <summary>The current rows this push may touch: its records, their parents, the live children of chats it deletes; null when absent.</summary>
    public Dictionary<(string Type, string Id), SyncRow?> Rows { get; } = new();

    public static SqlBatch Reads(PushState state, string userId, string deviceId, IReadOnlyList<ValidMutation> mutations, IEnumerable<string> mutationIds)
    {
        var batch = new SqlBatch();
        batch.Read(
            SyncStore.PushState,
            new { userId, deviceId },
            async reader =>
            {
                if (await reader.ReadAsync())
                {
                    (state.Seq, state.DeviceKnown, state.DeviceRevoked) = (reader.GetInt64(0), reader.GetInt64(1) == 1, reader.GetInt64(2) == 1);
                }
            });
        batch.Read(
            SyncStore.AppliedMutations,
            new { userId, deviceId, ids = JsonSerializer.Serialize(mutationIds.Distinct(StringComparer.Ordinal)) },
            async reader =>
            {
                while (await reader.ReadAsync())
                {
                    state.Applied[reader.GetString(0)] = reader.GetString(1);
                }
            });
        var ids = mutations.GroupBy(m => m.Spec).ToDictionary(g => g.Key, g => g.Select(m => m.EntityId).ToHashSet(StringComparer.Ordinal));
        foreach (var m in mutations)
        {
            if (m.ParentId is { } parentId && EntityCatalogue.Find(m.Spec.ParentType) is { } parentSpec)
            {
                (ids.TryGetValue(parentSpec, out var set) ? set : ids[parentSpec] = new HashSet<string>(StringComparer.Ordinal)).Add(parentId);
            }
        }
        foreach (var (spec, set) in ids)
        {
            foreach (var id in set)
            {
                state.Rows[(spec.Type, id)] = null;
            }
            SyncStore.LoadMany(batch, spec, userId, set, rows => state.Keep(spec, rows));
        }
        foreach (var child in EntityCatalogue.All.Where(s => s.Parent is not null))
        {
            var deletedParents = mutations.Where(m => m.IsDelete && m.Spec.Type == child.ParentType).Select(m => m.EntityId).Distinct().ToList();
            if (deletedParents.Count > 0)
            {
                SyncStore.LoadLiveChildren(batch, child, userId, deletedParents, rows => state.Keep(child, rows));
            }
        }
        return batch;
    }

    private void Keep(EntitySpec spec, List<SyncRow> rows)
    {
        foreach (var row in rows)
        {
            // A row read twice (a message the push names, and a child of a chat it deletes) is one row.
            if (!Rows.TryGetValue((spec.Type, row.Id), out var known) || known is null)
            {
                Rows[(spec.Type, row.Id)] = row;
            }
        }
    }
}

/// <summary>
/// Decides a push in memory from what <see cref="PushState"/> read, and turns the decisions into one guarded write
/// batch: results for the device, rows, conflicts, idempotency records, the cursor, the device's last sync and the
/// activity line. Nothing here touches the database.
/// </summary>
public sealed class PushPlan
{
    private static readonly JsonSerializerOptions ResultJson = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private sealed record StoredResult(string Status, long Version, long ServerSeq, string? ConflictId, MutationError? Error);

    private readonly PushState _state;
    private readonly string _userId;
    private readonly string _deviceId;
    private readonly string _now;
    private readonly CursorValues _cursor;
    private readonly List<SqlStatement> _writes = [];
    private readonly List<string?> _owners = [];
    private readonly List<string[]> _recorded = [];

    private readonly SyncWriteKind _kind;

    private PushPlan(PushState state, string userId, string deviceId, string now, SyncWriteKind kind)
    {
        _kind = kind;
        _state = state;
        _userId = userId;
        _deviceId = deviceId;
        _now = now;
        _cursor = new CursorValues(state.Seq);
    }

    public List<MutationResult> Results { get; } = [];

    public int Conflicts { get; private set; }

    public long Cursor => _cursor.Current;

    /// <summary>The mutation whose statement is at this index of <see cref="Batch"/> (null for the push's own statements).</summary>
    public string? OwnerOf(int index) => index >= 0 && index < _owners.Count ? _owners[index] : null;

    public SqlBatch Batch { get; private set; } = new();

    /// <param name="refused">Mutations the database refused on an earlier attempt, with its reason: rejected this time.</param>
    public static PushPlan Decide(PushState state, string userId, string deviceId, IReadOnlyList<Mutation> mutations, DateTimeOffset now,
        TimeSpan maxClockSkew, IReadOnlyDictionary<string, MutationError> refused)
    {
        var latest = StoredTime.Format(now + maxClockSkew);
        return Decide(state, userId, deviceId, mutations.Select(m => Checked.Of(m, latest)).ToList(), now, refused);
    }

    /// <summary>A mutation as sent and the validator's verdict on it, worked out once per push.</summary>
    public sealed record Checked(Mutation Raw, ValidMutation? Valid, MutationResult? Rejected)
    {
        public static Checked Of(Mutation m, string latest)
        {
            var (valid, rejected) = PushValidator.Validate(m, latest);
            return new Checked(m, valid, rejected);
        }
    }

    public static PushPlan Decide(PushState state, string userId, string deviceId, IReadOnlyList<Checked> mutations, DateTimeOffset now,
        IReadOnlyDictionary<string, MutationError> refused, SyncWriteKind? kind = null)
    {
        var plan = new PushPlan(state, userId, deviceId, StoredTime.Format(now), kind ?? SyncWriteKind.Push);
        foreach (var mutation in mutations)
        {
            plan.Results.Add(plan.One(mutation, refused));
        }
        return plan;
    }

    /// <summary>The write batch: guarded by the cursor and the device as read, so a concurrent writer sends this push back to re-read.</summary>
    /// <param name="kind">What wrote (<see cref="SyncWriteKind"/>): its activity line, and whether the writer is a device to register and stamp.</param>
    /// <param name="also">The writer's own statements, committed with the rows (a resolution marks its conflict resolved).</param>
    public SqlBatch Write(int records, long bytes, TimeSpan elapsed, string? error, IEnumerable<SqlStatement>? also = null)
    {
        var kind = _kind;
        var batch = new SqlBatch();
        var owners = new List<string?>();
        void Add(SqlStatement statement, string? owner)
        {
            statement.AddTo(batch);
            owners.Add(owner);
        }
        batch.Guard(
            SyncStore.PushGuard,
            new { seq = _state.Seq, userId = _userId, deviceId = _deviceId });
        owners.Add(null);
        if (!_state.DeviceKnown && kind.IsDevice)
        {
            Add(DeviceStore.SeenFirst(_userId, _deviceId, _now), null);
        }
        for (var i = 0; i < _writes.Count; i++)
        {
            Add(_writes[i], _owners[i]);
        }
        foreach (var statement in also ?? [])
        {
            Add(statement, null);
        }
        if (_recorded.Count > 0)
        {
            // INSERT OR IGNORE: the same push sent twice at once decides the same thing; the second adds nothing.
            Add(new(SyncStore.RecordMutations,
                new Dictionary<string, object?> { ["userId"] = _userId, ["deviceId"] = _deviceId, ["now"] = _now, ["items"] = JsonSerializer.Serialize(_recorded) }), null);
        }
        if (_cursor.Current != _cursor.Start)
        {
            Add(new(SyncStore.AdvanceSeq, new Dictionary<string, object?> { ["current"] = _cursor.Current, ["userId"] = _userId }), null);
        }
        if (kind.IsDevice)
        {
            Add(DeviceStore.Synced(_userId, _deviceId, _cursor.Current, _now), null);
        }
        Add(ActivityStore.Insert(_userId, _deviceId, kind.Activity, records, Conflicts, bytes, elapsed, error, _now, kind.RunId,
            Results.Count(r => r.Status == MutationStatus.Rejected && kind != SyncWriteKind.Push)), null);
        _owners.Clear();
        _owners.AddRange(owners);
        Batch = batch;
        return batch;
    }

    private MutationResult One(Checked m, IReadOnlyDictionary<string, MutationError> refused)
    {
        var mutationId = m.Raw.MutationId ?? "";
        if (!PushValidator.IsId(mutationId))
        {
            return PushValidator.Rejected(mutationId, MutationErrorCodes.InvalidMutationId, IdRules.Required("mutation_id"));
        }
        if (_state.Applied.TryGetValue(mutationId, out var stored))
        {
            var earlier = JsonSerializer.Deserialize<StoredResult>(stored, ResultJson)!;
            return new MutationResult(mutationId, MutationStatus.Duplicate, earlier.Version, earlier.ServerSeq, null, earlier.ConflictId, earlier.Error);
        }
        var (valid, rejected) = (m.Valid, m.Rejected);
        var result = rejected
                     ?? (refused.TryGetValue(mutationId, out var refusal)
                         ? PushValidator.Rejected(mutationId, refusal.Code, refusal.Message)
                         : Decide(valid!));
        var serialized = JsonSerializer.Serialize(new StoredResult(result.Status, result.Version, result.ServerSeq, result.ConflictId, result.Error), ResultJson);
        _state.Applied[mutationId] = serialized;
        _recorded.Add([mutationId, serialized]);
        Conflicts += result.Status is MutationStatus.ConflictWon or MutationStatus.ConflictLost ? 1 : 0;
        return result;
    }

    private MutationResult Decide(ValidMutation m)
    {
        var spec = m.Spec;
        var id = m.EntityId;
        var existing = _state.Rows.GetValueOrDefault((spec.Type, id));
        if (_kind.SkipExisting && existing is { Deleted: false })
        {
            // An import that skips duplicates: the record already there stays as it is.
            return new MutationResult(m.MutationId, MutationStatus.Duplicate, existing.Version, existing.ServerSeq, SyncRecords.ToJson(spec, existing));
        }
        if (_kind.Overwrite)
        {
            // An import or an undo writes over what is there now (no merge against a base it never had).
            m = m with { BaseVersion = existing?.Version ?? 0 };
        }
        if (m.BaseVersion > (existing?.Version ?? 0))
        {
            return PushValidator.Rejected(m.MutationId, MutationErrorCodes.InvalidBaseVersion, $"base_version {m.BaseVersion} is not a version this record has had.");
        }
        Dictionary<string, object?> changes;
        if (m.IsDelete)
        {
            if (existing is null or { Deleted: true })
            {
                // Nothing to delete (never synced, or already gone): done, and nothing changes.
                return new MutationResult(m.MutationId, MutationStatus.Applied, existing?.Version ?? 0, existing?.ServerSeq ?? 0,
                    existing is null ? null : SyncRecords.ToJson(spec, existing));
            }
            changes = new() { [SyncRecords.DeletedField] = true };
        }
        else
        {
            if (existing is not null && spec.AppendOnly && !existing.Deleted)
            {
                // Append-only records never change once written: the same id again is the same record.
                return new MutationResult(m.MutationId, MutationStatus.Duplicate, existing.Version, existing.ServerSeq, SyncRecords.ToJson(spec, existing));
            }
            var (values, error) = SyncRecords.Read(spec, m.Data ?? default, isNew: existing is null);
            if (error is not null)
            {
                return PushValidator.Rejected(m.MutationId, error.Code, error.Message);
            }
            changes = values!;
            if (PushRules.Check(spec, id, existing, changes, (type, parentId) => _state.Rows.GetValueOrDefault((type, parentId))) is { } ruleError)
            {
                return PushValidator.Rejected(m.MutationId, ruleError.Code, ruleError.Message);
            }
            if (existing is { Deleted: true })
            {
                changes[SyncRecords.DeletedField] = false;
            }
        }

        if (existing is null)
        {
            var created = Write(m.MutationId, spec, id, null, changes, m.UpdatedAt);
            return new MutationResult(m.MutationId, MutationStatus.Applied, created.Version, created.ServerSeq, SyncRecords.ToJson(spec, created));
        }

        var (decision, conflicting, rival) = SyncMerge.Decide(existing, m.BaseVersion, changes, m.UpdatedAt, _deviceId);
        string? conflictId = null;
        if (decision is MergeDecision.ConflictWon or MergeDecision.ConflictLost)
        {
            // Both sides of the fields in question, for the side-by-side view and for resolving later.
            var pushed = changes.Where(c => conflicting.Contains(c.Key)).ToDictionary();
            var before = existing.Values.Where(v => conflicting.Contains(v.Key)).ToDictionary();
            var deletedInQuestion = conflicting.Contains(SyncRecords.DeletedField);
            var local = SyncRecords.FieldsToJson(spec, pushed, deletedInQuestion ? changes[SyncRecords.DeletedField] is true : null);
            var remote = SyncRecords.FieldsToJson(spec, before, deletedInQuestion ? existing.Deleted : null);
            (conflictId, var statement) = ConflictStore.Insert(_userId, spec, id, conflicting, local, remote, _deviceId, m.UpdatedAt, rival!,
                decision == MergeDecision.ConflictWon, _now);
            _writes.Add(statement);
            _owners.Add(m.MutationId);
        }
        // Losing keeps the server's value of the conflicting fields only; the mutation's other fields still count.
        var toApply = decision == MergeDecision.ConflictLost
            ? changes.Where(change => !conflicting.Contains(change.Key)).ToDictionary()
            : changes;
        if (toApply.Count == 0)
        {
            return new MutationResult(m.MutationId, MutationStatus.ConflictLost, existing.Version, existing.ServerSeq, SyncRecords.ToJson(spec, existing), conflictId);
        }
        var written = Write(m.MutationId, spec, id, existing, toApply, m.UpdatedAt);
        CascadeDelete(m.MutationId, spec, written);
        var status = decision switch
        {
            MergeDecision.Applied => MutationStatus.Applied,
            MergeDecision.Merged => MutationStatus.Merged,
            MergeDecision.ConflictWon => MutationStatus.ConflictWon,
            _ => MutationStatus.ConflictLost,
        };
        return new MutationResult(m.MutationId, status, written.Version, written.ServerSeq, SyncRecords.ToJson(spec, written), conflictId);
    }

    private SyncRow Write(string mutationId, EntitySpec spec, string id, SyncRow? existing, IReadOnlyDictionary<string, object?> changes, string updatedAt)
    {
        var (row, statement) = SyncWriter.Prepare(spec, _userId, id, existing, changes, updatedAt, _deviceId, _now, _cursor.Next());
        _state.Rows[(spec.Type, id)] = row;
        _writes.Add(statement);
        _owners.Add(mutationId);
        return row;
    }

    /// <summary>
    /// Deleting a chat deletes its messages too, as tombstones every device pulls: those read with the push, and those
    /// the push itself created.
    /// </summary>
    private void CascadeDelete(string mutationId, EntitySpec spec, SyncRow parent)
    {
        if (!parent.Deleted)
        {
            return;
        }
        foreach (var child in EntityCatalogue.All.Where(s => s.ParentType == spec.Type))
        {
            var live = _state.Rows
                .Where(r => r.Key.Type == child.Type && r.Value is { Deleted: false } row && Equals(row.Values.GetValueOrDefault(child.Parent!.Name), parent.Id))
                .Select(r => r.Value!)
                .OrderBy(r => r.Id, StringComparer.Ordinal)
                .ToList();
            foreach (var row in live)
            {
                Write(mutationId, child, row.Id, row, new Dictionary<string, object?> { [SyncRecords.DeletedField] = true }, parent.DeletedAt!);
            }
        }
    }
}

/// <summary>
/// Who writes synced rows through the one write path (<see cref="PushService.ApplyAsync"/>): a device's push, or a
/// resolution (by a device, or on the web). All get the same validation, rules, merge and cascade; they differ only in
/// the activity line they leave and whether the writer is a device the account lists.
/// </summary>
/// <param name="AllOrNothing">A refused mutation refuses the whole write (nothing committed), instead of standing alone.</param>
/// <param name="Overwrite">Each mutation writes over the record's current version (an import, an undo), never merges.</param>
/// <param name="SkipExisting">A record already there (and not deleted) is left alone: its result is <c>duplicate</c>.</param>
/// <param name="RunId">The run its activity line belongs to (an import's id).</param>
public sealed record SyncWriteKind(string Activity, bool IsDevice, bool AllOrNothing = false, bool Overwrite = false, bool SkipExisting = false,
    string? RunId = null)
{
    public static readonly SyncWriteKind Push = new("push", true);
}

/// <summary>Rules beyond single fields: a message needs its chat; a preference's id is its key; a parent cannot change.</summary>
public static class PushRules
{
    public static RecordError? Check(EntitySpec spec, string id, SyncRow? existing, IReadOnlyDictionary<string, object?> values,
        Func<string, string, SyncRow?> find)
    {
        if (spec.Parent is { } parent && values.TryGetValue(parent.Name, out var parentId) && parentId is string pid)
        {
            var parentSpec = EntityCatalogue.Find(spec.ParentType)!;
            if (find(parentSpec.Type, pid) is null or { Deleted: true })
            {
                return new RecordError(MutationErrorCodes.MissingParent, $"{spec.Type} {id} belongs to {parentSpec.Type} {pid}, which does not exist; push it first.");
            }
        }
        if (spec == EntityCatalogue.UiPreferences && values.TryGetValue("key", out var key) && key is string k && k != id)
        {
            return new RecordError(MutationErrorCodes.InvalidId, "A preference's id is its key.");
        }
        if (existing is not null && spec.Parent is { } p && values.TryGetValue(p.Name, out var moved) && !Equals(moved, existing.Values[p.Name]))
        {
            return new RecordError(MutationErrorCodes.InvalidField, $"{p.Name} cannot change.");
        }
        return null;
    }
}
