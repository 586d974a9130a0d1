using System.Data.Common;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dapper;
using SqlStudio.Server.Data;

namespace SqlStudio.Server.Sync;

/// <summary>
/// The one way a synced row changes: a new row version, the next cursor value, and a stamp on every field
/// written. Push, conflict resolution and import all write through here.
/// </summary>
public static class SyncWriter
{
    /// <summary>
    /// The new version of a row (or a new row when <paramref name="existing"/> is null, which is changed in place
    /// otherwise) with <paramref name="changes"/> applied (field values in database form; <c>deleted</c> true/false for
    /// the tombstone) at cursor value <paramref name="seq"/>, and the statement that stores it. No I/O.
    /// </summary>
    public static (SyncRow Row, SqlStatement Statement) Prepare(EntitySpec spec, string userId, string id, SyncRow? existing,
        IReadOnlyDictionary<string, object?> changes, string updatedAt, string? deviceId, string now, long seq)
    {
        var row = existing ?? new SyncRow { Id = id, UpdatedAt = updatedAt, CreatedAt = now, Version = 0 };
        row.Version++;
        row.ServerSeq = seq;
        row.UpdatedByDevice = deviceId;
        row.UpdatedAt = existing is null || FieldStamp.Compare(updatedAt, deviceId, existing.UpdatedAt, existing.UpdatedByDevice) > 0
            ? updatedAt
            : existing.UpdatedAt;
        foreach (var (field, value) in changes)
        {
            if (field == SyncRecords.DeletedField)
            {
                row.DeletedAt = value is true ? updatedAt : null;
            }
            else
            {
                row.Values[field] = value;
            }
            row.FieldVersions[field] = new FieldStamp(row.Version, updatedAt, deviceId);
        }
        return (row, existing is null ? SyncStore.Insert(spec, userId, row) : SyncStore.Update(spec, userId, row, changes.Keys));
    }

    /// <summary>A conflict as a statement: both sides of the fields in question, and which one is in the row now.</summary>
    public static (string ConflictId, SqlStatement Statement) Conflict(string userId, EntitySpec spec, string entityId,
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
