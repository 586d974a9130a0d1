using System.Data.Common;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dapper;
using SqlStudio.Server.Data;

namespace SqlStudio.Server.Sync;

/// <summary>
/// The one way a synced row changes: a new row version, the next cursor value, and a stamp on every field
/// written. Every writer reaches it through the push's path (PushPlan): a push, a resolution, an import, an undo.
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
}
