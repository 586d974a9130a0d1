using System.Text.Json;
using System.Text.Json.Nodes;
using Dapper;
using SqlStudio.Contracts;
using SqlStudio.Server.Data;

namespace SqlStudio.Server.Sync;

/// <summary>Recorded conflicts: listed for the user, resolved by keeping either side or a merged value.</summary>
public sealed class ConflictService(Db db, TimeProvider time, SyncEventHub events)
{
    private sealed record ConflictRow(
        string ConflictId, string EntityType, string EntityId, string Fields, string LocalData, string RemoteData, string? LocalDeviceId,
        string? RemoteDeviceId, string? LocalUpdatedAt, string? RemoteUpdatedAt, string Winner, string Status, string? Resolution,
        string CreatedAt, string? ResolvedAt);

    private const string Columns =
        "conflict_id, entity_type, entity_id, fields, local_data, remote_data, local_device_id, remote_device_id, local_updated_at, " +
        "remote_updated_at, winner, status, resolution, created_at, resolved_at";

    public async Task<IReadOnlyList<ConflictInfo>> ListAsync(string userId, bool unresolvedOnly, int limit = 200, CancellationToken cancellationToken = default)
    {
        return await db.ReadAsync(async c =>
        {
            var rows = await c.QueryAsync<ConflictRow>(
                $"SELECT {Columns} FROM sync_conflicts WHERE user_id = @userId AND (@all OR status = 'unresolved') ORDER BY created_at DESC LIMIT @limit",
                new { userId, all = !unresolvedOnly, limit });
            // Each conflict named as a person knows its record (its title, name or first line), not by its id.
            var list = new List<ConflictInfo>();
            foreach (var row in rows)
            {
                var spec = EntityCatalogue.Find(row.EntityType);
                var record = spec is null ? null : await SyncStore.LoadAsync(c, null, spec, userId, row.EntityId);
                list.Add(ToInfo(row) with { Title = record is null ? null : TitleOf(row.EntityType, row.EntityId, record.Values) });
            }
            return (IReadOnlyList<ConflictInfo>)list;
        }, cancellationToken);
    }

    /// <summary>
    /// Applies the chosen side as a new version of the record and announces it to the user's devices at once, whoever
    /// resolved (the API, the web page): they pull it now, not on their next poll.
    /// </summary>
    public async Task<Outcome<JsonObject>> ResolveAsync(string userId, string conflictId, ResolveRequest request, CancellationToken cancellationToken = default)
    {
        var outcome = await ResolveCoreAsync(userId, conflictId, request, cancellationToken);
        if (outcome.Value is { } record && record["server_seq"]?.GetValue<long>() is { } cursor)
        {
            await events.PublishAsync(userId, cursor, PushService.IsId(request.DeviceId) ? request.DeviceId : null);
        }
        return outcome;
    }

    private async Task<Outcome<JsonObject>> ResolveCoreAsync(string userId, string conflictId, ResolveRequest request, CancellationToken cancellationToken)
    {
        if (request.Choice is not ("local" or "remote" or "custom"))
        {
            return Failure.Validation(new Dictionary<string, string[]> { ["choice"] = ["choice is 'local', 'remote' or 'custom'."] });
        }
        var deviceId = PushService.IsId(request.DeviceId) ? request.DeviceId : "conflict-resolution";
        return await db.WriteAsync<Outcome<JsonObject>>(async (c, t) =>
        {
            var conflict = await c.QuerySingleOrDefaultAsync<ConflictRow>(
                $"SELECT {Columns} FROM sync_conflicts WHERE conflict_id = @conflictId AND user_id = @userId", new { conflictId, userId }, t);
            if (conflict is null)
            {
                return new Failure(404, ErrorCodes.NotFound, "No conflict with this id.");
            }
            if (conflict.Status == "resolved")
            {
                return new Failure(409, "already_resolved", $"This conflict was already resolved ({conflict.Resolution}).");
            }
            var spec = EntityCatalogue.Find(conflict.EntityType)!;
            var existing = await SyncStore.LoadAsync(c, t, spec, userId, conflict.EntityId);
            var chosen = request.Choice switch
            {
                "local" => JsonDocument.Parse(conflict.LocalData).RootElement,
                "remote" => JsonDocument.Parse(conflict.RemoteData).RootElement,
                _ => request.Data ?? default,
            };
            var deleted = chosen.ValueKind == JsonValueKind.Object && chosen.TryGetProperty(SyncRecords.DeletedField, out var d) ? d.ValueKind == JsonValueKind.True : (bool?)null;
            var (values, error) = SyncRecords.Read(spec, chosen, isNew: existing is null);
            if (error is not null)
            {
                return Failure.Validation(new Dictionary<string, string[]> { ["data"] = [error.Message] });
            }
            if (deleted is { } del)
            {
                values![SyncRecords.DeletedField] = del;
            }
            else if (existing is { Deleted: true })
            {
                values![SyncRecords.DeletedField] = false;
            }
            var now = StoredTime.Format(time.GetUtcNow());
            var row = await SyncWriter.WriteAsync(c, t, spec, userId, conflict.EntityId, existing, values!, now, deviceId, now);
            await c.ExecuteAsync(
                "UPDATE sync_conflicts SET status = 'resolved', resolution = @choice, resolved_at = @now WHERE conflict_id = @conflictId",
                new { conflictId, choice = request.Choice, now }, t);
            return SyncRecords.ToJson(spec, row);
        }, cancellationToken);
    }

    /// <summary>The words a person knows a record by: its title or name, a preference's key, the first line of its text.</summary>
    public static string? TitleOf(string type, string id, IReadOnlyDictionary<string, object?> values) =>
        RecordTitles.Of(type, id, field => values.GetValueOrDefault(field) as string);

    private static ConflictInfo ToInfo(ConflictRow r) => new(
        r.ConflictId, r.EntityType, r.EntityId, JsonSerializer.Deserialize<List<string>>(r.Fields) ?? [],
        JsonNode.Parse(r.LocalData)!.AsObject(), JsonNode.Parse(r.RemoteData)!.AsObject(), r.LocalDeviceId, r.RemoteDeviceId,
        r.LocalUpdatedAt, r.RemoteUpdatedAt, r.Winner, r.Status, r.Resolution, r.CreatedAt, r.ResolvedAt);
}
