using System.Data.Common;
using Dapper;

namespace SqlStudio.Server.Sync;

/// <summary>The SQL of the integrity checks: each asks the database one question about the synced data.</summary>
public static class IntegrityStore
{
    /// <summary>The id and version of each live record of one type of the user (a client's checksum covers the same).</summary>
    public static async Task<List<(string Id, long Version)>> LiveVersionsAsync(DbConnection c, EntitySpec spec, string userId) =>
        (await c.QueryAsync<(string Id, long Version)>($"SELECT id, version FROM {spec.Table} WHERE user_id = @userId AND deleted_at IS NULL",
            new { userId })).ToList();

    public static async Task<List<string>> SqliteIntegrityAsync(DbConnection c) =>
        (await c.QueryAsync<string>("PRAGMA integrity_check")).ToList();

    public static async Task<List<(string Table, long RowId, string Parent)>> BrokenReferencesAsync(DbConnection c) =>
        (await c.QueryAsync<(string Table, long RowId, string Parent)>("SELECT \"table\", rowid, parent FROM pragma_foreign_key_check")).ToList();

    public static Task<long> LiveMessagesOfDeletedChatsAsync(DbConnection c, string? userId) =>
        c.ExecuteScalarAsync<long>(
            """
            SELECT count(*) FROM ai_messages m JOIN ai_sessions s ON s.user_id = m.user_id AND s.id = m.session_id
            WHERE m.deleted_at IS NULL AND s.deleted_at IS NOT NULL AND (@userId IS NULL OR m.user_id = @userId)
            """, new { userId });

    public static async Task<long> ConflictsOfUnknownRecordsAsync(DbConnection c, string? userId)
    {
        var total = 0L;
        foreach (var spec in EntityCatalogue.All)
        {
            total += await c.ExecuteScalarAsync<long>(
                $"""
                SELECT count(*) FROM sync_conflicts sc WHERE sc.entity_type = @type AND (@userId IS NULL OR sc.user_id = @userId)
                AND NOT EXISTS (SELECT 1 FROM {spec.Table} r WHERE r.user_id = sc.user_id AND r.id = sc.entity_id)
                """, new { type = spec.Type, userId });
        }
        return total;
    }

    private static string AllRecords => string.Join(" UNION ALL ", EntityCatalogue.All.Select(s => $"SELECT user_id, server_seq FROM {s.Table}"));

    public static Task<long> RecordsAheadOfCursorAsync(DbConnection c, string? userId) =>
        c.ExecuteScalarAsync<long>(
            $"SELECT count(*) FROM ({AllRecords}) r JOIN users u ON u.user_id = r.user_id WHERE r.server_seq > u.sync_seq AND (@userId IS NULL OR r.user_id = @userId)",
            new { userId });

    public static Task<long> SharedCursorValuesAsync(DbConnection c, string? userId) =>
        c.ExecuteScalarAsync<long>(
            $"SELECT count(*) FROM (SELECT user_id, server_seq FROM ({AllRecords}) WHERE @userId IS NULL OR user_id = @userId GROUP BY user_id, server_seq HAVING count(*) > 1)",
            new { userId });

    public static readonly IReadOnlyList<string> FullTextIndexes = ["saved_queries_fts", "query_history_fts"];

    /// <summary>FTS5's own check of an index against its table; throws when they differ.</summary>
    public static Task CheckFullTextAsync(DbConnection c, string index) =>
        c.ExecuteAsync($"INSERT INTO {index} ({index}, rank) VALUES ('integrity-check', 1)");
}
