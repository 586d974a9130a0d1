using SqlStudio.Server.Data;

namespace SqlStudio.Server.Sync;

/// <summary>SQL for imports and their journal (what each import changed, so it can be undone), as batch reads and statements.</summary>
public static class ImportStore
{
    /// <summary>An import as read before a batch or an undo: whether it exists, its status and its journal's last entry.</summary>
    public sealed class State
    {
        public string? Status { get; set; }

        public long LastEntry { get; set; }

        public List<(string EntityType, string EntityId, string Action, string? BeforeData)> Journal { get; } = [];
    }

    /// <summary>The import's status (<c>active</c>, <c>undone</c>, or null when there is none) and its journal's last entry number.</summary>
    public static SqlBatch ReadState(SqlBatch batch, State state, string userId, string importId) =>
        batch.Read(
            """
            SELECT (SELECT status FROM imports WHERE user_id = @userId AND import_id = @importId),
                   (SELECT coalesce(max(seq), 0) FROM import_journal WHERE user_id = @userId AND import_id = @importId)
            """,
            new { userId, importId },
            async reader =>
            {
                if (await reader.ReadAsync())
                {
                    state.Status = reader.IsDBNull(0) ? null : reader.GetString(0);
                    state.LastEntry = reader.GetInt64(1);
                }
            });

    /// <summary>What the import changed, newest first (the order to undo it in).</summary>
    public static SqlBatch ReadJournal(SqlBatch batch, State state, string userId, string importId) =>
        batch.Read(
            "SELECT entity_type, entity_id, action, before_data FROM import_journal WHERE user_id = @userId AND import_id = @importId ORDER BY seq DESC",
            new { userId, importId },
            async reader =>
            {
                while (await reader.ReadAsync())
                {
                    state.Journal.Add((reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3)));
                }
            });

    public static SqlStatement Start(string userId, string importId, string? onDuplicate, string now) =>
        new("INSERT INTO imports (import_id, user_id, on_duplicate, created_at) VALUES (@importId, @userId, @onDuplicate, @now) ON CONFLICT DO NOTHING",
            new Dictionary<string, object?> { ["importId"] = importId, ["userId"] = userId, ["onDuplicate"] = onDuplicate, ["now"] = now });

    /// <summary>The journal entries of one batch (seq, type, id, action, the record before), as one statement.</summary>
    public static SqlStatement Journal(string userId, string importId, IReadOnlyList<object?[]> entries) =>
        new("""
            INSERT INTO import_journal (user_id, import_id, seq, entity_type, entity_id, action, before_data)
            SELECT @userId, @importId, json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]'),
                   json_extract(value, '$[3]'), json_extract(value, '$[4]')
            FROM json_each(@entries)
            """,
            new Dictionary<string, object?> { ["userId"] = userId, ["importId"] = importId, ["entries"] = System.Text.Json.JsonSerializer.Serialize(entries) });

    public static SqlStatement Count(string userId, string importId, int inserted, int updated, int skipped, int failed) =>
        new("""
            UPDATE imports SET inserted = inserted + @inserted, updated = updated + @updated, skipped = skipped + @skipped, failed = failed + @failed
            WHERE user_id = @userId AND import_id = @importId
            """,
            new Dictionary<string, object?>
            {
                ["inserted"] = inserted, ["updated"] = updated, ["skipped"] = skipped, ["failed"] = failed, ["userId"] = userId, ["importId"] = importId,
            });

    public static SqlStatement MarkUndone(string userId, string importId, string now) =>
        new("UPDATE imports SET status = 'undone', undone_at = @now WHERE user_id = @userId AND import_id = @importId AND status <> 'undone'",
            new Dictionary<string, object?> { ["userId"] = userId, ["importId"] = importId, ["now"] = now });
}
