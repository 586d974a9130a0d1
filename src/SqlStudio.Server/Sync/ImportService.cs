using System.Text.Json;
using System.Text.Json.Nodes;
using SqlStudio.Contracts;
using SqlStudio.Server.Data;

namespace SqlStudio.Server.Sync;

/// <summary>
/// Import of a local (Phase 1) export in batches: duplicates skipped or updated, per-record errors that do not
/// stop the batch, and a journal of what each record was before, so an import can be undone exactly. Each batch is
/// mutations through the push's write path (<see cref="PushService.ApplyAsync"/>): the same validation, rules and
/// cascade, and three round trips whatever its size (the import read, the rows read, one guarded write).
/// </summary>
public sealed class ImportService(Db db, SyncOptions options, SyncMetrics metrics, TimeProvider time, PushService push, SyncEventHub events)
{
    private const string ImportDevice = "import";

    public async Task<Outcome<ImportResponse>> ImportAsync(string userId, ImportRequest request, CancellationToken cancellationToken = default)
    {
        var errors = new Dictionary<string, string[]>();
        if (!PushService.IsId(request.ImportId))
        {
            errors["import_id"] = [IdRules.Required("import_id")];
        }
        if (request.OnDuplicate is not ("skip" or "update"))
        {
            errors["on_duplicate"] = ["on_duplicate is 'skip' or 'update'."];
        }
        var records = request.Records ?? [];
        if (records.Keys.FirstOrDefault(k => EntityCatalogue.Find(k) is null) is { } unknown)
        {
            errors["records"] = [$"Unknown type '{unknown}'."];
        }
        var total = records.Values.Sum(l => l?.Count ?? 0);
        if (total == 0 || total > options.MaxImportRecords)
        {
            errors["records"] = [$"Send 1 to {options.MaxImportRecords} records per call."];
        }
        if (errors.Count > 0)
        {
            return Failure.Validation(errors);
        }

        var failures = new List<ImportError>();
        var mutations = new List<Mutation>();
        var owners = new List<(string Type, string Id)>();
        var now = time.GetUtcNow();
        foreach (var spec in EntityCatalogue.All.Where(s => records.ContainsKey(s.Type)))
        {
            foreach (var record in records[spec.Type] ?? [])
            {
                var id = record.ValueKind == JsonValueKind.Object && record.TryGetProperty("id", out var idValue) && idValue.ValueKind == JsonValueKind.String
                    ? idValue.GetString() : null;
                if (!PushService.IsId(id))
                {
                    failures.Add(new ImportError(spec.Type, id, MutationErrorCodes.InvalidId, IdRules.Required("Each record's id")));
                    continue;
                }
                // The record's own time of change when the export has it (the validator brings a future one back to now).
                var updatedAt = record.TryGetProperty("updated_at", out var u) && u.ValueKind == JsonValueKind.String &&
                                SyncRecords.NormalizeTime(u.GetString()) is { } at ? at : WireTime.ToText(now);
                // The record as exported is the mutation's data (its id and times are read as such, not as fields).
                mutations.Add(new Mutation($"import-{Guid.CreateVersion7():N}", spec.Type, id, "upsert", 0, updatedAt, record));
                owners.Add((spec.Type, id!));
            }
        }
        var kind = new SyncWriteKind("import", IsDevice: false, Overwrite: true, SkipExisting: request.OnDuplicate == "skip", RunId: request.ImportId);
        var import = new ImportStore.State();
        async Task<Outcome<Mutation[]>> PrepareAsync()
        {
            import = new ImportStore.State();
            await db.ReadBatchAsync(ImportStore.ReadState(new SqlBatch(), import, userId, request.ImportId!), cancellationToken);
            return import.Status == "undone"
                ? new Failure(409, SyncErrorCodes.ImportUndone, "This import was undone; start a new one with a new import_id.")
                : mutations.ToArray();
        }
        var (inserted, updated, skipped) = (0, 0, 0);
        var refused = new List<ImportError>();
        IEnumerable<SqlStatement> Also(SyncWritten written)
        {
            // The journal (what each record was before, for undo) and the import's counts, in the rows' own batch.
            (inserted, updated, skipped) = (0, 0, 0);
            refused.Clear();
            var journal = new List<object?[]>();
            var seq = import.LastEntry;
            for (var n = 0; n < written.Results.Count; n++)
            {
                var (result, (type, id)) = (written.Results[n], owners[n]);
                if (result.Status == MutationStatus.Rejected)
                {
                    refused.Add(new ImportError(type, id, result.Error!.Code, result.Error.Message));
                    continue;
                }
                if (result.Status == MutationStatus.Duplicate)
                {
                    skipped++;
                    continue;
                }
                var before = written.Before.GetValueOrDefault((type, id));
                journal.Add([++seq, type, id, before is null ? "inserted" : "updated", before?.Fields.ToJsonString()]);
                if (before is null or { Deleted: true })
                {
                    inserted++;
                }
                else
                {
                    updated++;
                }
            }
            var nowText = StoredTime.Format(time.GetUtcNow());
            var statements = new List<SqlStatement>();
            if (import.Status is null)
            {
                statements.Add(ImportStore.Start(userId, request.ImportId!, request.OnDuplicate, nowText));
            }
            if (journal.Count > 0)
            {
                statements.Add(ImportStore.Journal(userId, request.ImportId!, journal));
            }
            statements.Add(ImportStore.Count(userId, request.ImportId!, inserted, updated, skipped, refused.Count + failures.Count));
            return statements;
        }
        var outcome = await push.ApplyAsync(userId, ImportDevice, kind, PrepareAsync, Also, cancellationToken);
        if (outcome.Failure is { } failure)
        {
            return failure;
        }
        metrics.Records("import", "all", inserted + updated);
        // The user's devices hear of it at once, with the cursor the write left (no read to learn it).
        await events.PublishAsync(userId, outcome.Value!.Cursor, null);
        return new ImportResponse(inserted, updated, skipped, [.. failures, .. refused]);
    }

    /// <summary>
    /// Puts every record the import touched back as it was — created ones deleted, updated ones restored — as mutations
    /// through the one write path, all or nothing, with the import marked undone in the same batch.
    /// </summary>
    public async Task<Outcome<UndoImportResponse>> UndoAsync(string userId, string importId, CancellationToken cancellationToken = default)
    {
        var kind = new SyncWriteKind("undo_import", IsDevice: false, AllOrNothing: true, Overwrite: true, RunId: importId);
        var import = new ImportStore.State();
        async Task<Outcome<Mutation[]>> PrepareAsync()
        {
            import = new ImportStore.State();
            var batch = new SqlBatch();
            ImportStore.ReadState(batch, import, userId, importId);
            ImportStore.ReadJournal(batch, import, userId, importId);
            await db.ReadBatchAsync(batch, cancellationToken);
            if (import.Status is null)
            {
                return new Failure(404, ErrorCodes.NotFound, "No import with this id.");
            }
            if (import.Status == "undone")
            {
                return new Failure(409, SyncErrorCodes.AlreadyUndone, "This import was already undone.");
            }
            var at = WireTime.ToText(time.GetUtcNow());
            return import.Journal.Select(entry =>
            {
                JsonElement? data = null;
                var delete = entry.Action == "inserted";
                if (!delete)
                {
                    var before = JsonNode.Parse(entry.BeforeData!)!.AsObject();
                    delete = before[SyncRecords.DeletedField]?.GetValue<bool>() == true;
                    before.Remove(SyncRecords.DeletedField);
                    data = JsonSerializer.SerializeToElement(before);
                }
                return new Mutation($"undo-{Guid.CreateVersion7():N}", entry.EntityType, entry.EntityId, delete ? "delete" : "upsert", 0, at, delete ? null : data);
            }).ToArray();
        }
        var (removed, restored) = (0, 0);
        IEnumerable<SqlStatement> Also(SyncWritten written)
        {
            (removed, restored) = (0, 0);
            for (var n = 0; n < import.Journal.Count; n++)
            {
                var entry = import.Journal[n];
                if (entry.Action != "inserted")
                {
                    restored++;
                }
                else if (written.Before.GetValueOrDefault((entry.EntityType, entry.EntityId)) is { Deleted: false })
                {
                    removed++;
                }
            }
            return [ImportStore.MarkUndone(userId, importId, StoredTime.Format(time.GetUtcNow()))];
        }
        var outcome = await push.ApplyAsync(userId, ImportDevice, kind, PrepareAsync, Also, cancellationToken);
        if (outcome.Failure is { } failure)
        {
            return failure;
        }
        await events.PublishAsync(userId, outcome.Value!.Cursor, null);
        return new UndoImportResponse(removed, restored);
    }
}
