using System.Text.Json;
using System.Text.Json.Nodes;
using Dapper;
using SqlStudio.Server.Data;

namespace SqlStudio.Server.Sync;

/// <summary>SQL for conflicts: recorded by a push, listed, read one by one, marked resolved.</summary>
public static class ConflictStore
{
    public sealed record ConflictRow(
        string ConflictId, string EntityType, string EntityId, string Fields, string LocalData, string RemoteData, string? LocalDeviceId,
        string? RemoteDeviceId, string? LocalUpdatedAt, string? RemoteUpdatedAt, string Winner, string Status, string? Resolution,
        string CreatedAt, string? ResolvedAt);

    private const string Columns =
        "conflict_id, entity_type, entity_id, fields, local_data, remote_data, local_device_id, remote_device_id, local_updated_at, " +
        "remote_updated_at, winner, status, resolution, created_at, resolved_at";

    public static async Task<List<ConflictRow>> ListAsync(Db db, string userId, bool unresolvedOnly, int limit, CancellationToken cancellationToken) =>
        (await db.ReadAsync(c => c.QueryAsync<ConflictRow>(
            $"SELECT {Columns} FROM sync_conflicts WHERE user_id = @userId AND (@all OR status = 'unresolved') ORDER BY created_at DESC LIMIT @limit",
            new { userId, all = !unresolvedOnly, limit }), cancellationToken)).ToList();

    public static Task<ConflictRow?> FindAsync(Db db, string userId, string conflictId, CancellationToken cancellationToken) =>
        db.ReadAsync(c => c.QuerySingleOrDefaultAsync<ConflictRow?>(
            $"SELECT {Columns} FROM sync_conflicts WHERE conflict_id = @conflictId AND user_id = @userId", new { conflictId, userId }), cancellationToken);

    public static SqlStatement Resolved(string userId, string conflictId, string choice, string now) =>
        new("UPDATE sync_conflicts SET status = 'resolved', resolution = @choice, resolved_at = @now WHERE conflict_id = @conflictId AND user_id = @userId",
            new Dictionary<string, object?> { ["choice"] = choice, ["now"] = now, ["conflictId"] = conflictId, ["userId"] = userId });

    /// <summary>A conflict as a statement: both sides of the fields in question, and which one is in the row now.</summary>
    public static (string ConflictId, SqlStatement Statement) Insert(string userId, EntitySpec spec, string entityId,
        IReadOnlyList<string> fields, JsonObject local, JsonObject remote, string deviceId, string localUpdatedAt, FieldStamp rival,
        bool localWon, string now)
    {
        var conflictId = Guid.CreateVersion7().ToString();
        return (conflictId, new SqlStatement(
            """
            INSERT INTO sync_conflicts (conflict_id, user_id, entity_type, entity_id, fields, local_data, remote_data, local_device_id,
                                        remote_device_id, local_updated_at, remote_updated_at, winner, status, created_at)
            VALUES (@conflictId, @userId, @type, @entityId, @fields, @local, @remote, @deviceId, @remoteDevice, @localUpdatedAt,
                    @remoteUpdatedAt, @winner, 'unresolved', @now)
            """,
            new Dictionary<string, object?>
            {
                ["conflictId"] = conflictId, ["userId"] = userId, ["type"] = spec.Type, ["entityId"] = entityId,
                ["fields"] = JsonSerializer.Serialize(fields), ["local"] = local.ToJsonString(), ["remote"] = remote.ToJsonString(),
                ["deviceId"] = deviceId, ["remoteDevice"] = rival.DeviceId, ["localUpdatedAt"] = localUpdatedAt,
                ["remoteUpdatedAt"] = rival.UpdatedAt, ["winner"] = localWon ? "local" : "remote", ["now"] = now,
            }));
    }
}
