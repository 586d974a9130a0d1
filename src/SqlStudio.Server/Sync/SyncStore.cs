using System.Data.Common;
using System.Text.Json;
using Dapper;
using SqlStudio.Server.Data;

namespace SqlStudio.Server.Sync;

/// <summary>SQL for synced rows: every statement is built from catalogue names, never from client input.</summary>
public static class SyncStore
{
    private const string MetaColumns = "id, version, server_seq, field_versions, updated_at, updated_by_device, deleted_at, created_at";

    public static async Task<SyncRow?> LoadAsync(DbConnection c, DbTransaction? t, EntitySpec spec, string userId, string id)
    {
        var rows = await QueryRowsAsync(c, t, spec,
            $"SELECT {MetaColumns}, {spec.ColumnList} FROM {spec.Table} WHERE user_id = @userId AND id = @id", new { userId, id });
        return rows.FirstOrDefault();
    }

    public static SqlStatement Insert(EntitySpec spec, string userId, SyncRow row)
    {
        var columns = string.Join(", ", spec.Fields.Select(f => f.Name));
        var parameters = string.Join(", ", spec.Fields.Select(f => "@f_" + f.Name));
        var args = new Dictionary<string, object?>
        {
            ["userId"] = userId, ["Id"] = row.Id, ["Version"] = row.Version, ["ServerSeq"] = row.ServerSeq,
            ["FieldVersions"] = JsonSerializer.Serialize(row.FieldVersions), ["UpdatedAt"] = row.UpdatedAt,
            ["UpdatedByDevice"] = row.UpdatedByDevice, ["DeletedAt"] = row.DeletedAt, ["CreatedAt"] = row.CreatedAt,
        };
        foreach (var field in spec.Fields)
        {
            args["f_" + field.Name] = row.Values.GetValueOrDefault(field.Name);
        }
        return new SqlStatement(
            $"""
            INSERT INTO {spec.Table} (user_id, id, version, server_seq, field_versions, updated_at, updated_by_device, deleted_at, created_at, {columns})
            VALUES (@userId, @Id, @Version, @ServerSeq, @FieldVersions, @UpdatedAt, @UpdatedByDevice, @DeletedAt, @CreatedAt, {parameters})
            """, args);
    }

    /// <summary>Writes the row's sync columns and the given fields (the ones that changed).</summary>
    public static SqlStatement Update(EntitySpec spec, string userId, SyncRow row, IEnumerable<string> changed)
    {
        var fields = changed.Where(spec.ByName.ContainsKey).ToList();
        var sets = string.Join("", fields.Select(f => $", {f} = @f_{f}"));
        var args = new Dictionary<string, object?>
        {
            ["userId"] = userId, ["Id"] = row.Id, ["Version"] = row.Version, ["ServerSeq"] = row.ServerSeq,
            ["FieldVersions"] = JsonSerializer.Serialize(row.FieldVersions), ["UpdatedAt"] = row.UpdatedAt,
            ["UpdatedByDevice"] = row.UpdatedByDevice, ["DeletedAt"] = row.DeletedAt,
        };
        foreach (var field in fields)
        {
            args["f_" + field] = row.Values.GetValueOrDefault(field);
        }
        return new SqlStatement(
            $"""
            UPDATE {spec.Table} SET version = @Version, server_seq = @ServerSeq, field_versions = @FieldVersions, updated_at = @UpdatedAt,
                   updated_by_device = @UpdatedByDevice, deleted_at = @DeletedAt{sets}
            WHERE user_id = @userId AND id = @Id
            """, args);
    }

    /// <summary>The rows of these ids that exist (deleted ones included), read as part of a batch.</summary>
    public static void LoadMany(SqlBatch batch, EntitySpec spec, string userId, IReadOnlyCollection<string> ids, Action<List<SyncRow>> into) =>
        batch.Read($"SELECT {MetaColumns}, {spec.ColumnList} FROM {spec.Table} WHERE user_id = @userId AND id IN (SELECT value FROM json_each(@ids))",
            new { userId, ids = JsonSerializer.Serialize(ids) }, async reader => into(await ReadRowsAsync(reader, spec)));

    /// <summary>Up to <paramref name="take"/> live rows of one type after cursor value <paramref name="after"/>, in cursor order (account export).</summary>
    public static void LoadLive(SqlBatch batch, EntitySpec spec, string userId, long after, int take, Action<List<SyncRow>> into) =>
        batch.Read($"""
                    SELECT {MetaColumns}, {spec.ColumnList} FROM {spec.Table}
                    WHERE user_id = @userId AND server_seq > @after AND deleted_at IS NULL ORDER BY server_seq LIMIT @take
                    """,
            new { userId, after, take }, async reader => into(await ReadRowsAsync(reader, spec)));

    /// <summary>The live children of these parents (a chat's messages), read as part of a batch.</summary>
    public static void LoadLiveChildren(SqlBatch batch, EntitySpec child, string userId, IReadOnlyCollection<string> parentIds, Action<List<SyncRow>> into) =>
        batch.Read($"""
                    SELECT {MetaColumns}, {child.ColumnList} FROM {child.Table}
                    WHERE user_id = @userId AND {child.Parent!.Name} IN (SELECT value FROM json_each(@ids)) AND deleted_at IS NULL
                    """,
            new { userId, ids = JsonSerializer.Serialize(parentIds) }, async reader => into(await ReadRowsAsync(reader, child)));

    /// <summary>
    /// The next <paramref name="take"/> changes after <paramref name="cursor"/> over <paramref name="types"/>, in cursor
    /// order, as one statement of a batch: each type's index range (user_id, server_seq) cut at the page size, merged,
    /// and cut again. The types' columns differ, so each branch puts its fields, in catalogue order, into the same
    /// numbered slots (padded with NULL). What a pull writes needs no field versions, so they are not read.
    /// </summary>
    public static void LoadPage(SqlBatch batch, IReadOnlyList<EntitySpec> types, string userId, long cursor, int take,
        Action<List<(EntitySpec Spec, SyncRow Row)>> into) =>
        batch.Read(PageSql(types), new { userId, cursor, take }, async reader =>
        {
            var rows = new List<(EntitySpec, SyncRow)>();
            while (await reader.ReadAsync())
            {
                var spec = EntityCatalogue.Find(reader.GetString(0))!;
                var row = new SyncRow
                {
                    Id = reader.GetString(1),
                    Version = reader.GetInt64(2),
                    ServerSeq = reader.GetInt64(3),
                    UpdatedAt = reader.GetString(4),
                    UpdatedByDevice = reader.IsDBNull(5) ? null : reader.GetString(5),
                    DeletedAt = reader.IsDBNull(6) ? null : reader.GetString(6),
                    CreatedAt = "",
                };
                for (var i = 0; i < spec.Fields.Count; i++)
                {
                    row.Values[spec.Fields[i].Name] = reader.IsDBNull(7 + i) ? null : reader.GetValue(7 + i);
                }
                rows.Add((spec, row));
            }
            into(rows);
        });

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> PageSqlCache = new();

    private static string PageSql(IReadOnlyList<EntitySpec> types) =>
        PageSqlCache.GetOrAdd(string.Join(",", types.Select(t => t.Type)), _ =>
        {
            var slots = EntityCatalogue.All.Max(s => s.Fields.Count);
            return "SELECT * FROM (" + string.Join(" UNION ALL ", types.Select(s =>
                    $"SELECT * FROM (SELECT '{s.Type}' AS type, id, version, server_seq, updated_at, updated_by_device, deleted_at, " +
                    string.Join(", ", Enumerable.Range(0, slots).Select(i => i < s.Fields.Count ? s.Fields[i].Name : "NULL")) +
                    $" FROM {s.Table} WHERE user_id = @userId AND server_seq > @cursor ORDER BY server_seq LIMIT @take)")) +
                ") ORDER BY server_seq LIMIT @take";
        });

    private static async Task<List<SyncRow>> QueryRowsAsync(DbConnection c, DbTransaction? t, EntitySpec spec, string sql, object args)
    {
        await using var reader = await c.ExecuteReaderAsync(sql, args, t);
        return await ReadRowsAsync(reader, spec);
    }

    private static async Task<List<SyncRow>> ReadRowsAsync(DbDataReader reader, EntitySpec spec)
    {
        var result = new List<SyncRow>();
        var ordinals = spec.Fields.Select(f => reader.GetOrdinal(f.Name)).ToArray();
        while (await reader.ReadAsync())
        {
            var row = new SyncRow
            {
                Id = reader.GetString(0),
                Version = reader.GetInt64(1),
                ServerSeq = reader.GetInt64(2),
                FieldVersions = JsonSerializer.Deserialize<Dictionary<string, FieldStamp>>(reader.GetString(3)) ?? new(),
                UpdatedAt = reader.GetString(4),
                UpdatedByDevice = reader.IsDBNull(5) ? null : reader.GetString(5),
                DeletedAt = reader.IsDBNull(6) ? null : reader.GetString(6),
                CreatedAt = reader.GetString(7),
            };
            for (var i = 0; i < spec.Fields.Count; i++)
            {
                row.Values[spec.Fields[i].Name] = reader.IsDBNull(ordinals[i]) ? null : reader.GetValue(ordinals[i]);
            }
            result.Add(row);
        }
        return result;
    }

    public const string PurgedAndCurrentSeq = "SELECT sync_purged_seq, sync_seq FROM users WHERE user_id = @userId";

    public const string CurrentSeq = "SELECT sync_seq FROM users WHERE user_id = @userId";

    public const string Counts =
        """
        SELECT NULL, sync_seq FROM users WHERE user_id = @userId
        UNION ALL
        SELECT entity_type, live FROM sync_counts WHERE user_id = @userId
        """;

    public const string PushState =
        """
        SELECT u.sync_seq, d.device_id IS NOT NULL, coalesce(d.revoked_at IS NOT NULL, 0)
        FROM users u LEFT JOIN devices d ON d.user_id = u.user_id AND d.device_id = @deviceId
        WHERE u.user_id = @userId
        """;

    public const string AppliedMutations =
        """
        SELECT mutation_id, result FROM sync_mutations
        WHERE user_id = @userId AND device_id = @deviceId AND mutation_id IN (SELECT value FROM json_each(@ids))
        """;

    public const string PushGuard =
        """
        SELECT sync_seq = @seq AND coalesce((SELECT revoked_at IS NULL FROM devices WHERE user_id = @userId AND device_id = @deviceId), 1)
        FROM users WHERE user_id = @userId
        """;

    public const string RecordMutations =
        """
        INSERT OR IGNORE INTO sync_mutations (user_id, device_id, mutation_id, result, applied_at)
        SELECT @userId, @deviceId, json_extract(value, '$[0]'), json_extract(value, '$[1]'), @now FROM json_each(@items)
        """;

    public const string AdvanceSeq = "UPDATE users SET sync_seq = @current WHERE user_id = @userId";

    /// <summary>
    /// Before tombstones older than @horizon go from <paramref name="table"/>: each owner's purge mark rises past them, so
    /// a device whose cursor is older resyncs instead of missing a delete.
    /// </summary>
    public static string RaisePurgedSeq(string table) =>
        $"""
        UPDATE users SET sync_purged_seq = max(sync_purged_seq,
            (SELECT max(server_seq) FROM {table} x WHERE x.user_id = users.user_id AND x.deleted_at < @horizon))
        WHERE user_id IN (SELECT user_id FROM {table} WHERE deleted_at < @horizon)
        """;

    public static string DeleteTombstones(string table) => $"DELETE FROM {table} WHERE deleted_at < @horizon";

    /// <summary>Applied mutation ids older than @horizon: a retry that old is answered as new.</summary>
    public const string ForgetMutations = "DELETE FROM sync_mutations WHERE applied_at < @horizon";
}

/// <summary>
/// Cursor values for a push that writes many rows: the user's <c>sync_seq</c> as read, values handed out in memory,
/// and the last one written back once, in the write batch guarded by the value read.
/// </summary>
public sealed class CursorValues(long start)
{
    public long Start { get; } = start;

    /// <summary>The newest value handed out (the user's cursor once saved).</summary>
    public long Current { get; private set; } = start;

    public long Next() => ++Current;
}
