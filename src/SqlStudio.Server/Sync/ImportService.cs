using System.Data.Common;
using System.Diagnostics;
using System.Text.Json;
using Dapper;
using SqlStudio.Contracts;
using SqlStudio.Server.Data;

namespace SqlStudio.Server.Sync;

/// <summary>
/// Import of a local (Phase 1) export in batches: duplicates skipped or updated, per-record errors that do not
/// stop the batch, and a journal of what each record was before, so an import can be undone exactly.
/// </summary>
public sealed class ImportService(Db db, SyncOptions options, SyncMetrics metrics, TimeProvider time)
{
    private const string ImportDevice = "import";

    public async Task<Outcome<ImportResponse>> ImportAsync(string userId, ImportRequest request, CancellationToken cancellationToken = default)
    {
        var errors = new Dictionary<string, string[]>();
        if (!PushService.IsId(request.ImportId))
        {
            errors["import_id"] = ["import_id is required: up to 100 letters, digits, '-', '_', '.' or ':'."];
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

        var watch = Stopwatch.StartNew();
        var outcome = await db.WriteAsync<Outcome<ImportResponse>>(async (c, t) =>
        {
            var now = StoredTime.Format(time.GetUtcNow());
            var status = await ImportStore.StatusAsync(c, t, userId, request.ImportId!);
            if (status == "undone")
            {
                return new Failure(409, "import_undone", "This import was undone; start a new one with a new import_id.");
            }
            if (status is null)
            {
                await ImportStore.StartAsync(c, t, userId, request.ImportId!, request.OnDuplicate, now);
            }
            var seq = await ImportStore.LastEntryAsync(c, t, userId, request.ImportId!);
            var (inserted, updated, skipped) = (0, 0, 0);
            var failures = new List<ImportError>();
            foreach (var spec in EntityCatalogue.All.Where(s => records.ContainsKey(s.Type)))
            {
                foreach (var record in records[spec.Type] ?? [])
                {
                    var id = record.ValueKind == JsonValueKind.Object && record.TryGetProperty("id", out var idValue) && idValue.ValueKind == JsonValueKind.String
                        ? idValue.GetString() : null;
                    if (!PushService.IsId(id))
                    {
                        failures.Add(new ImportError(spec.Type, id, "invalid_id", "Each record needs an id: up to 100 letters, digits, '-', '_', '.' or ':'."));
                        continue;
                    }
                    await t.SaveAsync("record");
                    try
                    {
                        var result = await ImportOneAsync(c, t, spec, userId, id!, record, request, ++seq, now);
                        switch (result)
                        {
                            case "inserted": inserted++; break;
                            case "updated": updated++; break;
                            case "skipped": skipped++; seq--; break;
                            default:
                                seq--;
                                var error = JsonSerializer.Deserialize<RecordError>(result)!;
                                failures.Add(new ImportError(spec.Type, id, error.Code, error.Message));
                                break;
                        }
                        await t.ReleaseAsync("record");
                    }
                    catch (DbException ex)
                    {
                        // One bad record must not cost the batch: undo its statements and carry on.
                        await t.RollbackAsync("record");
                        seq--;
                        var refused = SyncRecords.Refused(spec, ex);
                        failures.Add(new ImportError(spec.Type, id, refused.Code, refused.Message));
                    }
                }
            }
            await ImportStore.CountAsync(c, t, userId, request.ImportId!, inserted, updated, skipped, failures.Count);
            return new ImportResponse(inserted, updated, skipped, failures);
        }, cancellationToken);
        if (outcome.Value is { } response)
        {
            metrics.Records("import", "all", response.Inserted + response.Updated);
            // One line per batch, named by the import so the log shows one import as one run; a refused record is
            // counted (with its code), not a failed import.
            var codes = response.Errors.Select(e => e.Code).Distinct().ToList();
            await Activity.RecordAsync(db, userId, ImportDevice, "import", response.Inserted + response.Updated, 0, 0, watch.Elapsed,
                codes.Count == 0 ? null : string.Join(",", codes), time, request.ImportId, response.Errors.Count);
        }
        return outcome;
    }

    /// <summary>"inserted", "updated", "skipped", or a serialized <see cref="RecordError"/>.</summary>
    private static async Task<string> ImportOneAsync(DbConnection c, DbTransaction t, EntitySpec spec, string userId, string id,
        JsonElement record, ImportRequest request, long seq, string now)
    {
        var existing = await SyncStore.LoadAsync(c, t, spec, userId, id);
        if (existing is { Deleted: false } && (request.OnDuplicate == "skip" || spec.AppendOnly))
        {
            return "skipped";
        }
        var (values, error) = SyncRecords.Read(spec, record, isNew: existing is null);
        error ??= values is null ? null : await PushService.CheckRulesAsync(c, t, spec, userId, id, existing, values);
        if (error is not null)
        {
            return JsonSerializer.Serialize(error);
        }
        if (existing is { Deleted: true })
        {
            values![SyncRecords.DeletedField] = false;
        }
        var updatedAt = record.TryGetProperty("updated_at", out var u) && SyncRecords.NormalizeTime(u.GetString()) is { } time ? time : now;
        await ImportStore.JournalAsync(c, t, userId, request.ImportId!, seq, spec.Type, id, existing is null ? "inserted" : "updated",
            existing is null ? null : SyncRecords.FieldsToJson(spec, existing.Values, existing.Deleted).ToJsonString());
        await SyncWriter.WriteAsync(c, t, spec, userId, id, existing, values!, updatedAt, ImportDevice, now);
        return existing is null or { Deleted: true } ? "inserted" : "updated";
    }

    /// <summary>Puts every record the import touched back as it was: created ones deleted, updated ones restored.</summary>
    public async Task<Outcome<UndoImportResponse>> UndoAsync(string userId, string importId, CancellationToken cancellationToken = default)
    {
        var watch = Stopwatch.StartNew();
        var outcome = await db.WriteAsync<Outcome<UndoImportResponse>>(async (c, t) =>
        {
            var now = StoredTime.Format(time.GetUtcNow());
            var status = await ImportStore.StatusAsync(c, t, userId, importId);
            if (status is null)
            {
                return new Failure(404, ErrorCodes.NotFound, "No import with this id.");
            }
            if (status == "undone")
            {
                return new Failure(409, "already_undone", "This import was already undone.");
            }
            var journal = await ImportStore.JournalAsync(c, t, userId, importId);
            var (removed, restored) = (0, 0);
            foreach (var entry in journal)
            {
                var spec = EntityCatalogue.Find(entry.EntityType)!;
                var current = await SyncStore.LoadAsync(c, t, spec, userId, entry.EntityId);
                if (entry.Action == "inserted")
                {
                    if (current is { Deleted: false })
                    {
                        var row = await SyncWriter.WriteAsync(c, t, spec, userId, entry.EntityId, current,
                            new Dictionary<string, object?> { [SyncRecords.DeletedField] = true }, now, ImportDevice, now);
                        await SyncWriter.CascadeDeleteAsync(c, t, spec, userId, row, ImportDevice, now);
                        removed++;
                    }
                    continue;
                }
                using var before = JsonDocument.Parse(entry.BeforeData!);
                var (values, _) = SyncRecords.Read(spec, before.RootElement, isNew: current is null);
                var wasDeleted = before.RootElement.TryGetProperty(SyncRecords.DeletedField, out var d) && d.ValueKind == JsonValueKind.True;
                values![SyncRecords.DeletedField] = wasDeleted;
                await SyncWriter.WriteAsync(c, t, spec, userId, entry.EntityId, current, values, now, ImportDevice, now);
                restored++;
            }
            await ImportStore.MarkUndoneAsync(c, t, userId, importId, now);
            return new UndoImportResponse(removed, restored);
        }, cancellationToken);
        if (outcome.Value is { } undone)
        {
            await Activity.RecordAsync(db, userId, ImportDevice, "undo_import", undone.Removed + undone.Restored, 0, 0, watch.Elapsed, null, time,
                importId);
        }
        return outcome;
    }
}
