using System.Data.Common;
using Dapper;

namespace SqlStudio.Server.Sync;

/// <summary>SQL for imports and their journal (what each import changed, so it can be undone).</summary>
public static class ImportStore
{
    /// <summary>The import's status (<c>active</c> or <c>undone</c>), or null when there is none with this id.</summary>
    public static Task<string?> StatusAsync(DbConnection c, DbTransaction t, string userId, string importId) =>
        c.QuerySingleOrDefaultAsync<string?>("SELECT status FROM imports WHERE user_id = @userId AND import_id = @importId", new { userId, importId }, t);

    public static Task StartAsync(DbConnection c, DbTransaction t, string userId, string importId, string? onDuplicate, string now) =>
        c.ExecuteAsync("INSERT INTO imports (import_id, user_id, on_duplicate, created_at) VALUES (@importId, @userId, @onDuplicate, @now)",
            new { importId, userId, onDuplicate, now }, t);

    /// <summary>The journal's last entry number (a batch of the same import carries on after it).</summary>
    public static Task<long> LastEntryAsync(DbConnection c, DbTransaction t, string userId, string importId) =>
        c.ExecuteScalarAsync<long>("SELECT coalesce(max(seq), 0) FROM import_journal WHERE user_id = @userId AND import_id = @importId",
            new { userId, importId }, t);

    public static Task JournalAsync(DbConnection c, DbTransaction t, string userId, string importId, long seq, string type, string id, string action,
        string? before) =>
        c.ExecuteAsync(
            """
            INSERT INTO import_journal (user_id, import_id, seq, entity_type, entity_id, action, before_data)
            VALUES (@userId, @importId, @seq, @type, @id, @action, @before)
            """, new { userId, importId, seq, type, id, action, before }, t);

    /// <summary>What the import changed, newest first (the order to undo it in).</summary>
    public static async Task<IReadOnlyList<(string EntityType, string EntityId, string Action, string? BeforeData)>> JournalAsync(
        DbConnection c, DbTransaction t, string userId, string importId) =>
        (await c.QueryAsync<(string EntityType, string EntityId, string Action, string? BeforeData)>(
            "SELECT entity_type, entity_id, action, before_data FROM import_journal WHERE user_id = @userId AND import_id = @importId ORDER BY seq DESC",
            new { userId, importId }, t)).ToList();

    public static Task CountAsync(DbConnection c, DbTransaction t, string userId, string importId, int inserted, int updated, int skipped, int failed) =>
        c.ExecuteAsync(
            """
            UPDATE imports SET inserted = inserted + @inserted, updated = updated + @updated, skipped = skipped + @skipped, failed = failed + @failed
            WHERE user_id = @userId AND import_id = @importId
            """, new { inserted, updated, skipped, failed, userId, importId }, t);

    public static Task MarkUndoneAsync(DbConnection c, DbTransaction t, string userId, string importId, string now) =>
        c.ExecuteAsync("UPDATE imports SET status = 'undone', undone_at = @now WHERE user_id = @userId AND import_id = @importId",
            new { userId, importId, now }, t);
}
