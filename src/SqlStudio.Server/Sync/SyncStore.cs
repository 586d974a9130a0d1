using System.Data.Common;
using System.Text.Json;
using Dapper;

namespace SqlStudio.Server.Sync;

/// <summary>SQL for synced rows: every statement is built from catalogue names, never from client input.</summary>
public static class SyncStore
{
    private const string MetaColumns = "id, version, server_seq, field_versions, updated_at, updated_by_device, deleted_at, created_at";

    /// <summary>The user's next cursor value, taken inside the write transaction.</summary>
    public static Task<long> NextSeqAsync(DbConnection c, DbTransaction t, string userId) =>
        c.ExecuteScalarAsync<long>("UPDATE users SET sync_seq = sync_seq + 1 WHERE user_id = @userId RETURNING sync_seq", new { userId }, t);

    public static Task<long> CurrentSeqAsync(DbConnection c, DbTransaction? t, string userId) =>
        c.ExecuteScalarAsync<long>("SELECT sync_seq FROM users WHERE user_id = @userId", new { userId }, t);

    public static async Task<SyncRow?> LoadAsync(DbConnection c, DbTransaction? t, EntitySpec spec, string userId, string id)
    {
        var rows = await QueryRowsAsync(c, t, spec,
            $"SELECT {MetaColumns}, {spec.ColumnList} FROM {spec.Table} WHERE user_id = @userId AND id = @id", new { userId, id });
        return rows.FirstOrDefault();
    }

    /// <summary>The rows of these ids that exist (deleted ones included), in one query.</summary>
    public static Task<List<SyncRow>> LoadManyAsync(DbConnection c, DbTransaction? t, EntitySpec spec, string userId, IReadOnlyCollection<string> ids) =>
        QueryRowsAsync(c, t, spec,
            $"SELECT {MetaColumns}, {spec.ColumnList} FROM {spec.Table} WHERE user_id = @userId AND id IN (SELECT value FROM json_each(@ids))",
            new { userId, ids = JsonSerializer.Serialize(ids) });

    /// <summary>Rows with <c>from &lt; server_seq &lt;= to</c>, in cursor order.</summary>
    public static Task<List<SyncRow>> RangeAsync(DbConnection c, DbTransaction? t, EntitySpec spec, string userId, long from, long to) =>
        QueryRowsAsync(c, t, spec,
            $"SELECT {MetaColumns}, {spec.ColumnList} FROM {spec.Table} WHERE user_id = @userId AND server_seq > @from AND server_seq <= @to ORDER BY server_seq",
            new { userId, from, to });

    public static Task InsertAsync(DbConnection c, DbTransaction t, EntitySpec spec, string userId, SyncRow row)
    {
        var columns = string.Join(", ", spec.Fields.Select(f => f.Name));
        var parameters = string.Join(", ", spec.Fields.Select(f => "@f_" + f.Name));
        var args = new DynamicParameters(new
        {
            userId, row.Id, row.Version, row.ServerSeq, FieldVersions = JsonSerializer.Serialize(row.FieldVersions),
            row.UpdatedAt, row.UpdatedByDevice, row.DeletedAt, row.CreatedAt,
        });
        foreach (var field in spec.Fields)
        {
            args.Add("f_" + field.Name, row.Values.GetValueOrDefault(field.Name));
        }
        return c.ExecuteAsync(
            $"""
            INSERT INTO {spec.Table} (user_id, id, version, server_seq, field_versions, updated_at, updated_by_device, deleted_at, created_at, {columns})
            VALUES (@userId, @Id, @Version, @ServerSeq, @FieldVersions, @UpdatedAt, @UpdatedByDevice, @DeletedAt, @CreatedAt, {parameters})
            """, args, t);
    }

    /// <summary>Writes the row's sync columns and the given fields (the ones that changed).</summary>
    public static Task UpdateAsync(DbConnection c, DbTransaction t, EntitySpec spec, string userId, SyncRow row, IEnumerable<string> changed)
    {
        var fields = changed.Where(spec.ByName.ContainsKey).ToList();
        var sets = string.Join("", fields.Select(f => $", {f} = @f_{f}"));
        var args = new DynamicParameters(new
        {
            userId, row.Id, row.Version, row.ServerSeq, FieldVersions = JsonSerializer.Serialize(row.FieldVersions),
            row.UpdatedAt, row.UpdatedByDevice, row.DeletedAt,
        });
        foreach (var field in fields)
        {
            args.Add("f_" + field, row.Values.GetValueOrDefault(field));
        }
        return c.ExecuteAsync(
            $"""
            UPDATE {spec.Table} SET version = @Version, server_seq = @ServerSeq, field_versions = @FieldVersions, updated_at = @UpdatedAt,
                   updated_by_device = @UpdatedByDevice, deleted_at = @DeletedAt{sets}
            WHERE user_id = @userId AND id = @Id
            """, args, t);
    }

    public static Task<long> CountLiveAsync(DbConnection c, EntitySpec spec, string userId) =>
        c.ExecuteScalarAsync<long>($"SELECT count(*) FROM {spec.Table} WHERE user_id = @userId AND deleted_at IS NULL", new { userId });

    /// <summary>The highest <c>server_seq</c> among the next <paramref name="limit"/> changes after the cursor, and whether more follow.</summary>
    public static async Task<(long PageEnd, int Count, bool HasMore)> PageAsync(
        DbConnection c, string userId, long cursor, int limit, IReadOnlyList<EntitySpec> types)
    {
        // Each branch is bounded by the index on (user_id, server_seq), so a page costs O(limit), not O(table).
        var branches = string.Join(" UNION ALL ", types.Select(s =>
            $"SELECT * FROM (SELECT server_seq FROM {s.Table} WHERE user_id = @userId AND server_seq > @cursor ORDER BY server_seq LIMIT @take)"));
        var seqs = (await c.QueryAsync<long>(
            $"SELECT server_seq FROM ({branches}) ORDER BY server_seq LIMIT @take",
            new { userId, cursor, take = limit + 1 })).ToList();
        if (seqs.Count == 0)
        {
            return (cursor, 0, false);
        }
        var hasMore = seqs.Count > limit;
        var page = hasMore ? seqs.Take(limit).ToList() : seqs;
        return (page[^1], page.Count, hasMore);
    }

    private static async Task<List<SyncRow>> QueryRowsAsync(DbConnection c, DbTransaction? t, EntitySpec spec, string sql, object args)
    {
        var result = new List<SyncRow>();
        await using var reader = await c.ExecuteReaderAsync(sql, args, t);
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
}

/// <summary>
/// Cursor values for one write transaction that writes many rows: the user's <c>sync_seq</c> is read once, values
/// are handed out in memory, and the last one is written back once before commit (one statement per value would be
/// a round trip each on a remote database). Every write of the transaction must take its value here.
/// </summary>
public sealed class CursorValues
{
    private readonly string _userId;
    private readonly long _start;

    private CursorValues(string userId, long start)
    {
        _userId = userId;
        _start = start;
        Current = start;
    }

    /// <summary>The newest value handed out (the user's cursor once saved).</summary>
    public long Current { get; private set; }

    public static async Task<CursorValues> TakeAsync(DbConnection c, DbTransaction t, string userId) =>
        new(userId, await SyncStore.CurrentSeqAsync(c, t, userId));

    public long Next() => ++Current;

    public async Task SaveAsync(DbConnection c, DbTransaction t)
    {
        if (Current == _start)
        {
            return;
        }
        var updated = await c.ExecuteAsync("UPDATE users SET sync_seq = @current WHERE user_id = @userId AND sync_seq = @start",
            new { current = Current, userId = _userId, start = _start }, t);
        if (updated != 1)
        {
            // Something in the transaction moved sync_seq without these values: cursor values would repeat.
            throw new InvalidOperationException("sync_seq changed during the transaction outside CursorValues.");
        }
    }
}
