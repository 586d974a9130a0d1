using System.Text.Json;
using System.Text.Json.Nodes;
using Dapper;
using SqlStudio.Contracts;
using SqlStudio.Server.Data;

namespace SqlStudio.Server.Sync;

/// <summary>Recorded conflicts: listed for the user, resolved by keeping either side or a merged value.</summary>
public sealed class ConflictService(Db db, TimeProvider time, SyncEventHub events, PushService push)
{
    public async Task<IReadOnlyList<ConflictInfo>> ListAsync(string userId, bool unresolvedOnly, int limit = 200, CancellationToken cancellationToken = default)
    {
        var rows = await ConflictStore.ListAsync(db, userId, unresolvedOnly, limit, cancellationToken);
        // Each conflict named as a person knows its record (its title, name or first line), not by its id: the records
        // read in one batch, one statement per type (one round trip however many conflicts).
        var records = new Dictionary<(string Type, string Id), SyncRow>();
        var batch = new SqlBatch();
        foreach (var group in rows.GroupBy(r => r.EntityType))
        {
            if (EntityCatalogue.Find(group.Key) is { } spec)
            {
                SyncStore.LoadMany(batch, spec, userId, group.Select(r => r.EntityId).ToHashSet(StringComparer.Ordinal),
                    found => found.ForEach(row => records[(spec.Type, row.Id)] = row));
            }
        }
        if (batch.Count > 0)
        {
            await db.ReadBatchAsync(batch, cancellationToken);
        }
        return rows.Select(row => ToInfo(row) with
        {
            Title = records.TryGetValue((row.EntityType, row.EntityId), out var record) ? TitleOf(row.EntityType, row.EntityId, record.Values) : null,
        }).ToList();
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

    /// <summary>
    /// A resolution is a mutation like any device's (#24): the chosen side (or the custom value) as an upsert — or a
    /// delete — on the record's current version, through <see cref="PushService.ApplyAsync"/>, so it meets the same
    /// validation, rules (a message stays in its chat, a preference's id is its key) and cascade (a chat deleted takes
    /// its messages) as a push, and the conflict is marked resolved in the same guarded batch. All or nothing: a refused
    /// resolution writes nothing and leaves the conflict open.
    /// </summary>
    private async Task<Outcome<JsonObject>> ResolveCoreAsync(string userId, string conflictId, ResolveRequest request, CancellationToken cancellationToken)
    {
        if (request.Choice is not ("local" or "remote" or "custom"))
        {
            return Failure.Validation(new Dictionary<string, string[]> { ["choice"] = ["choice is 'local', 'remote' or 'custom'."] });
        }
        var deviceId = PushService.IsId(request.DeviceId) ? request.DeviceId! : ResolverDevice;
        var kind = new SyncWriteKind("resolve", IsDevice: deviceId is not (ResolverDevice or SyncSettings.WebDevice), AllOrNothing: true);
        var resolvedAt = "";
        async Task<Outcome<Mutation[]>> PrepareAsync()
        {
            var conflict = await ConflictStore.FindAsync(db, userId, conflictId, cancellationToken);
            if (conflict is null)
            {
                return new Failure(404, ErrorCodes.NotFound, "No conflict with this id.");
            }
            if (conflict.Status == "resolved")
            {
                return new Failure(409, SyncErrorCodes.AlreadyResolved, $"This conflict was already resolved ({conflict.Resolution}).");
            }
            var spec = EntityCatalogue.Find(conflict.EntityType)!;
            var current = await db.ReadAsync(c => SyncStore.LoadAsync(c, null, spec, userId, conflict.EntityId), cancellationToken);
            var chosen = request.Choice switch
            {
                "local" => JsonDocument.Parse(conflict.LocalData).RootElement,
                "remote" => JsonDocument.Parse(conflict.RemoteData).RootElement,
                _ => request.Data ?? default,
            };
            if (chosen.ValueKind != JsonValueKind.Object)
            {
                return Failure.Validation(new Dictionary<string, string[]> { ["data"] = ["A custom resolution needs data: the record's fields as an object."] });
            }
            var now = time.GetUtcNow();
            resolvedAt = StoredTime.Format(now);
            var delete = chosen.TryGetProperty(SyncRecords.DeletedField, out var d) && d.ValueKind == JsonValueKind.True;
            var fields = new JsonObject();
            foreach (var property in chosen.EnumerateObject().Where(p => p.Name != SyncRecords.DeletedField))
            {
                fields[property.Name] = JsonNode.Parse(property.Value.GetRawText());
            }
            // Each attempt its own mutation id: a refused attempt is not recorded, and a new one is not its duplicate.
            return new[]
            {
                new Mutation($"resolve-{Guid.CreateVersion7():N}", conflict.EntityType, conflict.EntityId, delete ? "delete" : "upsert",
                    current?.Version ?? 0, WireTime.ToText(now), delete ? null : JsonSerializer.SerializeToElement(fields)),
            };
        }
        var outcome = await push.ApplyAsync(userId, deviceId, kind, PrepareAsync, _ =>
        [ConflictStore.Resolved(userId, conflictId, request.Choice!, resolvedAt)], cancellationToken);
        if (outcome.Failure is { } failure)
        {
            return failure;
        }
        return outcome.Value!.Results[0].Record ?? new JsonObject();
    }

    /// <summary>The writer named on a resolution made through the API without a device id.</summary>
    private const string ResolverDevice = "conflict-resolution";

    /// <summary>The words a person knows a record by: its title or name, a preference's key, the first line of its text.</summary>
    public static string? TitleOf(string type, string id, IReadOnlyDictionary<string, object?> values) =>
        RecordTitles.Of(type, id, field => values.GetValueOrDefault(field) as string);

    private static ConflictInfo ToInfo(ConflictStore.ConflictRow r) => new(
        r.ConflictId, r.EntityType, r.EntityId, JsonSerializer.Deserialize<List<string>>(r.Fields) ?? [],
        JsonNode.Parse(r.LocalData)!.AsObject(), JsonNode.Parse(r.RemoteData)!.AsObject(), r.LocalDeviceId, r.RemoteDeviceId,
        r.LocalUpdatedAt, r.RemoteUpdatedAt, r.Winner, r.Status, r.Resolution, r.CreatedAt, r.ResolvedAt);
}
