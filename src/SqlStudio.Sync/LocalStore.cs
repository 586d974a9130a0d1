using System.Text.Json.Nodes;
using Dapper;
using Microsoft.Data.Sqlite;

namespace SqlStudio.Sync;

/// <summary>A record as the device holds it: fields plus what the server last said about it.</summary>
public sealed record LocalRecord(string Type, string Id, long Version, long ServerSeq, JsonObject Data, bool Deleted, string UpdatedAt, bool Pending);

/// <summary>One waiting change: the fields changed since <c>BaseVersion</c>, folded together per record.</summary>
public sealed record OutboxEntry(long Seq, string MutationId, string Type, string Id, string Op, long BaseVersion, string UpdatedAt,
    JsonObject? Data, string DueAt, int Attempts);

/// <summary>
/// The device's SQLite file: records of the seven types, the outbox, device-only secrets and sync state. Every
/// local change and its outbox entry are written in one transaction, so a crash loses nothing.
/// </summary>
public sealed class LocalStore : IDisposable
{
    private const string Schema = """
        PRAGMA journal_mode = WAL;
        CREATE TABLE IF NOT EXISTS records (
            row_id INTEGER PRIMARY KEY, type TEXT NOT NULL, id TEXT NOT NULL, version INTEGER NOT NULL DEFAULT 0,
            server_seq INTEGER NOT NULL DEFAULT 0, data TEXT NOT NULL, deleted INTEGER NOT NULL DEFAULT 0,
            updated_at TEXT NOT NULL, search_text TEXT NOT NULL DEFAULT '', UNIQUE (type, id));
        CREATE VIRTUAL TABLE IF NOT EXISTS records_fts USING fts5 (search_text);
        CREATE TABLE IF NOT EXISTS fts_backlog (row_id INTEGER PRIMARY KEY);
        CREATE TRIGGER IF NOT EXISTS records_fts_mark AFTER INSERT ON records WHEN new.search_text <> '' BEGIN
            INSERT INTO fts_backlog (row_id) SELECT new.row_id WHERE NOT EXISTS (SELECT 1 FROM fts_backlog WHERE row_id = new.row_id); END;
        CREATE TRIGGER IF NOT EXISTS records_fts_remark AFTER UPDATE OF search_text ON records BEGIN
            INSERT INTO fts_backlog (row_id) SELECT new.row_id WHERE NOT EXISTS (SELECT 1 FROM fts_backlog WHERE row_id = new.row_id); END;
        CREATE TRIGGER IF NOT EXISTS records_fts_forget AFTER DELETE ON records BEGIN
            DELETE FROM records_fts WHERE rowid = old.row_id; END;
        CREATE TABLE IF NOT EXISTS outbox (
            seq INTEGER PRIMARY KEY AUTOINCREMENT, mutation_id TEXT NOT NULL UNIQUE, type TEXT NOT NULL, id TEXT NOT NULL,
            op TEXT NOT NULL, base_version INTEGER NOT NULL, updated_at TEXT NOT NULL, data TEXT, due_at TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0, UNIQUE (type, id));
        CREATE TABLE IF NOT EXISTS secrets (type TEXT NOT NULL, id TEXT NOT NULL, field TEXT NOT NULL, value TEXT NOT NULL,
            PRIMARY KEY (type, id, field));
        CREATE TABLE IF NOT EXISTS import_secrets (import_id TEXT NOT NULL, type TEXT NOT NULL, id TEXT NOT NULL, field TEXT NOT NULL,
            previous TEXT, PRIMARY KEY (import_id, type, id, field));
        CREATE TABLE IF NOT EXISTS conflicts (conflict_id TEXT PRIMARY KEY, type TEXT NOT NULL, id TEXT NOT NULL, detail TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
        """;

    private readonly string _connectionString;
    private readonly SecretProtector _secrets;

    static LocalStore()
    {
        DefaultTypeMap.MatchNamesWithUnderscores = true;
    }

    /// <summary>
    /// Opens (or creates) the store: its folder and file owner-only, its secrets protected with the key ring in the same
    /// folder's <c>keys/</c> unless <paramref name="secrets"/> says otherwise. Secrets an older version stored in clear are
    /// protected now, their clear bytes overwritten (secure_delete).
    /// </summary>
    public LocalStore(string path, SecretProtector? secrets = null)
    {
        var folder = PrivateFiles.Folder(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!);
        PrivateFiles.File(path);
        Path = path;
        _secrets = secrets ?? new SecretProtector(System.IO.Path.Combine(folder, "keys"));
        _connectionString = new SqliteConnectionStringBuilder { DataSource = path, Pooling = true, DefaultTimeout = 30 }.ToString();
        using var connection = Open();
        connection.Execute(Schema);
        ProtectClearSecrets(connection);
    }

    private void ProtectClearSecrets(SqliteConnection connection)
    {
        var clear = connection.Query<(string Type, string Id, string Field, string Value)>(
            "SELECT type, id, field, value FROM secrets WHERE value NOT LIKE 'dp1:%'").ToList();
        if (clear.Count == 0)
        {
            return;
        }
        using var transaction = connection.BeginTransaction();
        foreach (var (type, id, field, value) in clear)
        {
            connection.Execute("UPDATE secrets SET value = @value WHERE type = @type AND id = @id AND field = @field",
                new { value = _secrets.Protect(value), type, id, field }, transaction);
        }
        transaction.Commit();
        // The write-ahead log held the clear rows' pages: fold it into the file (secure_delete zeroed the old cells).
        connection.Execute("PRAGMA wal_checkpoint(TRUNCATE)");
    }

    public string Path { get; }

    public SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        // secure_delete: a deleted or overwritten row's bytes are zeroed, not left in a free page.
        connection.Execute("PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 30000; PRAGMA synchronous = NORMAL; PRAGMA secure_delete = ON;");
        return connection;
    }

    /// <summary>Runs <paramref name="work"/> in one write transaction.</summary>
    public async Task<T> WriteAsync<T>(Func<SqliteConnection, SqliteTransaction, Task<T>> work)
    {
        await using var connection = Open();
        await using var transaction = connection.BeginTransaction(deferred: false);
        var result = await work(connection, transaction);
        await transaction.CommitAsync();
        return result;
    }

    public async Task<T> ReadAsync<T>(Func<SqliteConnection, Task<T>> work)
    {
        await using var connection = Open();
        return await work(connection);
    }

    public static async Task<LocalRecord?> GetAsync(SqliteConnection c, SqliteTransaction? t, string type, string id) =>
        (await c.QueryAsync<RecordRow>(
            "SELECT r.type, r.id, r.version, r.server_seq, r.data, r.deleted, r.updated_at, (o.seq IS NOT NULL) AS pending " +
            "FROM records r LEFT JOIN outbox o ON o.type = r.type AND o.id = r.id WHERE r.type = @type AND r.id = @id",
            new { type, id }, t)).Select(r => r.ToRecord()).FirstOrDefault();

    public Task<LocalRecord?> GetAsync(string type, string id) => ReadAsync(c => GetAsync(c, null, type, id));

    public async Task<IReadOnlyList<LocalRecord>> ListAsync(string type, bool includeDeleted = false) =>
        await ReadAsync(async c => (await c.QueryAsync<RecordRow>(
            "SELECT r.type, r.id, r.version, r.server_seq, r.data, r.deleted, r.updated_at, (o.seq IS NOT NULL) AS pending " +
            "FROM records r LEFT JOIN outbox o ON o.type = r.type AND o.id = r.id WHERE r.type = @type AND (@includeDeleted OR r.deleted = 0) ORDER BY r.id",
            new { type, includeDeleted })).Select(r => r.ToRecord()).ToList());

    /// <summary>
    /// Brings the full-text index up to date. Writes only note which rows changed (tokenizing 10,000 statements
    /// would double an initial sync); this indexes them, after a pull and before any search.
    /// </summary>
    public Task<int> IndexAsync() => WriteAsync(async (c, t) =>
    {
        var rows = (await c.QueryAsync<long>("SELECT row_id FROM fts_backlog", transaction: t)).ToList();
        foreach (var rowId in rows)
        {
            await c.ExecuteAsync("DELETE FROM records_fts WHERE rowid = @rowId", new { rowId }, t);
            await c.ExecuteAsync("INSERT INTO records_fts (rowid, search_text) SELECT row_id, search_text FROM records WHERE row_id = @rowId AND search_text <> ''",
                new { rowId }, t);
        }
        await c.ExecuteAsync("DELETE FROM fts_backlog", transaction: t);
        return rows.Count;
    });

    /// <summary>The newest records of a type (by their last change), without loading the rest: the history list.</summary>
    public async Task<IReadOnlyList<LocalRecord>> LatestAsync(string type, int limit) =>
        await ReadAsync(async c => (await c.QueryAsync<RecordRow>(
            "SELECT r.type, r.id, r.version, r.server_seq, r.data, r.deleted, r.updated_at, (o.seq IS NOT NULL) AS pending " +
            "FROM records r LEFT JOIN outbox o ON o.type = r.type AND o.id = r.id WHERE r.type = @type AND r.deleted = 0 " +
            "ORDER BY r.updated_at DESC, r.row_id DESC LIMIT @limit",
            new { type, limit })).Select(r => r.ToRecord()).ToList());

    /// <summary>Full-text search over saved queries and history on this device (of one type when <paramref name="type"/> is given).</summary>
    public async Task<IReadOnlyList<LocalRecord>> SearchAsync(string text, int limit = 50, string? type = null)
    {
        await IndexAsync();
        var terms = string.Join(" ", text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(w => "\"" + w.Replace("\"", "\"\"") + "\""));
        if (terms.Length == 0)
        {
            return [];
        }
        return await ReadAsync(async c => (await c.QueryAsync<RecordRow>(
            """
            SELECT r.type, r.id, r.version, r.server_seq, r.data, r.deleted, r.updated_at, 0 AS pending
            FROM records_fts f JOIN records r ON r.row_id = f.rowid
            WHERE records_fts MATCH @terms AND r.deleted = 0 AND (@type IS NULL OR r.type = @type) ORDER BY rank LIMIT @limit
            """, new { terms, limit, type })).Select(r => r.ToRecord()).ToList());
    }

    private const string UpsertSql = """
        INSERT INTO records (type, id, version, server_seq, data, deleted, updated_at, search_text)
        VALUES (@type, @id, @version, @serverSeq, @data, @deleted, @updatedAt, @search)
        ON CONFLICT (type, id) DO UPDATE SET version = excluded.version, server_seq = excluded.server_seq, data = excluded.data,
            deleted = excluded.deleted, updated_at = excluded.updated_at, search_text = excluded.search_text
        """;

    public static Task PutAsync(SqliteConnection c, SqliteTransaction t, string type, string id, long version, long serverSeq, JsonObject data,
        bool deleted, string updatedAt) =>
        c.ExecuteAsync(UpsertSql,
            new { type, id, version, serverSeq, data = data.ToJsonString(), deleted, updatedAt, search = SearchText(type, data) }, t);

    /// <summary>The record upsert compiled once, for writing a page of pulled records.</summary>
    public static PreparedUpsert PrepareUpsert(SqliteConnection c, SqliteTransaction t) => new(c, t);

    public sealed class PreparedUpsert : IDisposable
    {
        private readonly SqliteCommand _command;
        private readonly SqliteParameter[] _parameters;

        internal PreparedUpsert(SqliteConnection c, SqliteTransaction t)
        {
            _command = c.CreateCommand();
            _command.Transaction = t;
            _command.CommandText = UpsertSql;
            _parameters = new[] { "@type", "@id", "@version", "@serverSeq", "@data", "@deleted", "@updatedAt", "@search" }
                .Select(name => _command.Parameters.Add(new SqliteParameter(name, null))).ToArray();
            _command.Prepare();
        }

        public Task RunAsync(string type, string id, long version, long serverSeq, string dataJson, bool deleted, string updatedAt, string searchText)
        {
            _parameters[0].Value = type;
            _parameters[1].Value = id;
            _parameters[2].Value = version;
            _parameters[3].Value = serverSeq;
            _parameters[4].Value = dataJson;
            _parameters[5].Value = deleted;
            _parameters[6].Value = updatedAt;
            _parameters[7].Value = searchText;
            return _command.ExecuteNonQueryAsync();
        }

        public void Dispose() => _command.Dispose();
    }

    public static async Task<OutboxEntry?> PendingAsync(SqliteConnection c, SqliteTransaction? t, string type, string id) =>
        (await c.QueryAsync<OutboxRow>("SELECT * FROM outbox WHERE type = @type AND id = @id", new { type, id }, t)).Select(r => r.ToEntry()).FirstOrDefault();

    /// <summary>Queues (or replaces) the one pending change of a record; a replaced entry starts its attempts again.</summary>
    public static Task EnqueueAsync(SqliteConnection c, SqliteTransaction t, string type, string id, string op, long baseVersion, string updatedAt,
        string? data, string dueAt) =>
        c.ExecuteAsync(
            """
            INSERT INTO outbox (mutation_id, type, id, op, base_version, updated_at, data, due_at)
            VALUES (@mutationId, @type, @id, @op, @baseVersion, @updatedAt, @data, @dueAt)
            ON CONFLICT (type, id) DO UPDATE SET mutation_id = excluded.mutation_id, op = excluded.op, updated_at = excluded.updated_at,
                data = excluded.data, due_at = excluded.due_at, attempts = 0
            """,
            new { mutationId = Guid.CreateVersion7().ToString(), type, id, op, baseVersion, updatedAt, data, dueAt }, t);

    public static Task DequeueAsync(SqliteConnection c, SqliteTransaction t, long seq) =>
        c.ExecuteAsync("DELETE FROM outbox WHERE seq = @seq", new { seq }, t);

    /// <summary>A change made again while its first version was in flight builds on the version the server now has.</summary>
    public static Task RebaseAsync(SqliteConnection c, SqliteTransaction t, long seq, long baseVersion) =>
        c.ExecuteAsync("UPDATE outbox SET base_version = @baseVersion WHERE seq = @seq", new { baseVersion, seq }, t);

    public static Task<long> PendingCountAsync(SqliteConnection c, SqliteTransaction t, string? type = null) =>
        c.ExecuteScalarAsync<long>("SELECT count(*) FROM outbox WHERE @type IS NULL OR type = @type", new { type }, t);

    /// <summary>Everything of one type waiting in the outbox is due now (history goes in batches).</summary>
    public static Task MakeDueAsync(SqliteConnection c, SqliteTransaction t, string type, string now) =>
        c.ExecuteAsync("UPDATE outbox SET due_at = @now WHERE type = @type", new { now, type }, t);

    /// <summary>The server accepted a version of a record this device holds: never go below it.</summary>
    public static Task RaiseVersionAsync(SqliteConnection c, SqliteTransaction t, string type, string id, long version) =>
        c.ExecuteAsync("UPDATE records SET version = max(version, @version) WHERE type = @type AND id = @id", new { version, type, id }, t);

    public static Task RemoveAsync(SqliteConnection c, SqliteTransaction t, string type, string id) =>
        c.ExecuteAsync("DELETE FROM records WHERE type = @type AND id = @id", new { type, id }, t);

    /// <summary>Before a rebuild from cursor 0: drop every record that has no change waiting to go out.</summary>
    public static Task ForgetSyncedAsync(SqliteConnection c, SqliteTransaction t) =>
        c.ExecuteAsync("DELETE FROM records WHERE NOT EXISTS (SELECT 1 FROM outbox o WHERE o.type = records.type AND o.id = records.id)", transaction: t);

    public static Task AddConflictAsync(SqliteConnection c, SqliteTransaction t, string conflictId, string type, string id, string status) =>
        c.ExecuteAsync("INSERT OR IGNORE INTO conflicts (conflict_id, type, id, detail) VALUES (@conflictId, @type, @id, @status)",
            new { conflictId, type, id, status }, t);

    public static Task RemoveConflictAsync(SqliteConnection c, SqliteTransaction t, string conflictId) =>
        c.ExecuteAsync("DELETE FROM conflicts WHERE conflict_id = @conflictId", new { conflictId }, t);

    /// <summary>A secret field of a record, kept on this device only, encrypted (the one statement that writes one).</summary>
    public Task PutSecretAsync(SqliteConnection c, SqliteTransaction t, string type, string id, string field, string value) =>
        c.ExecuteAsync("INSERT INTO secrets (type, id, field, value) VALUES (@type, @id, @field, @value) " +
                       "ON CONFLICT (type, id, field) DO UPDATE SET value = excluded.value",
            new { type, id, field, value = _secrets.Protect(value) }, t);

    /// <summary>
    /// A secret an import brings: written like any other, and journaled with the value it replaces (still protected) so
    /// that undoing the import takes it away again.
    /// </summary>
    public async Task PutImportedSecretAsync(SqliteConnection c, SqliteTransaction t, string importId, string type, string id, string field, string value)
    {
        var previous = await c.ExecuteScalarAsync<string?>("SELECT value FROM secrets WHERE type = @type AND id = @id AND field = @field",
            new { type, id, field }, t);
        await c.ExecuteAsync("INSERT OR IGNORE INTO import_secrets (import_id, type, id, field, previous) VALUES (@importId, @type, @id, @field, @previous)",
            new { importId, type, id, field, previous }, t);
        await PutSecretAsync(c, t, type, id, field, value);
    }

    /// <summary>Takes back the secrets an import brought: each removed, or the value it replaced put back.</summary>
    public Task<int> UndoImportedSecretsAsync(string importId) => WriteAsync(async (c, t) =>
    {
        var journal = (await c.QueryAsync<(string Type, string Id, string Field, string? Previous)>(
            "SELECT type, id, field, previous FROM import_secrets WHERE import_id = @importId", new { importId }, t)).ToList();
        foreach (var (type, id, field, previous) in journal)
        {
            await c.ExecuteAsync(previous is null
                    ? "DELETE FROM secrets WHERE type = @type AND id = @id AND field = @field"
                    : "UPDATE secrets SET value = @previous WHERE type = @type AND id = @id AND field = @field",
                new { type, id, field, previous }, t);
        }
        await c.ExecuteAsync("DELETE FROM import_secrets WHERE import_id = @importId", new { importId }, t);
        return journal.Count;
    });

    public static Task RemoveSecretsAsync(SqliteConnection c, SqliteTransaction t, string type, string id) =>
        c.ExecuteAsync("DELETE FROM secrets WHERE type = @type AND id = @id", new { type, id }, t);

    public async Task<IReadOnlyList<OutboxEntry>> OutboxAsync(string? dueBy = null, int limit = int.MaxValue) =>
        await ReadAsync(async c => (await c.QueryAsync<OutboxRow>(
            "SELECT * FROM outbox WHERE @dueBy IS NULL OR due_at <= @dueBy ORDER BY seq LIMIT @limit", new { dueBy, limit }))
            .Select(r => r.ToEntry()).ToList());

    public Task<long> PendingCountAsync() => ReadAsync(c => c.ExecuteScalarAsync<long>("SELECT count(*) FROM outbox"));

    /// <summary>Conflicts the server reported for this device's changes (kept until reviewed).</summary>
    public Task<long> ConflictCountAsync() => ReadAsync(c => c.ExecuteScalarAsync<long>("SELECT count(*) FROM conflicts"));

    public Task<string?> NextDueAsync() => ReadAsync(c => c.ExecuteScalarAsync<string?>("SELECT min(due_at) FROM outbox"));

    public async Task<string?> GetMetaAsync(string key) =>
        await ReadAsync(c => c.ExecuteScalarAsync<string?>("SELECT value FROM meta WHERE key = @key", new { key }));

    public static Task SetMetaAsync(SqliteConnection c, SqliteTransaction? t, string key, string? value) =>
        c.ExecuteAsync("INSERT INTO meta (key, value) VALUES (@key, @value) ON CONFLICT (key) DO UPDATE SET value = excluded.value", new { key, value }, t);

    public Task SetMetaAsync(string key, string? value) => WriteAsync(async (c, t) => { await SetMetaAsync(c, t, key, value); return true; });

    public async Task<IReadOnlyDictionary<string, string>> SecretsAsync(string type, string id) =>
        (await ReadAsync(c => c.QueryAsync<(string Field, string Value)>("SELECT field, value FROM secrets WHERE type = @type AND id = @id", new { type, id })))
        .ToDictionary(s => s.Field, s => _secrets.Unprotect(s.Value));

    /// <summary>What full-text search indexes of a record: saved queries' title, description, SQL and tags; history's statement.</summary>
    public static string SearchText(string type, System.Text.Json.JsonElement record) => type switch
    {
        "saved_queries" => string.Join(" ", new[] { "title", "description", "sql", "tags" }.Select(f =>
            record.TryGetProperty(f, out var v) && v.ValueKind == System.Text.Json.JsonValueKind.String ? v.GetString() : "")),
        "query_history" => record.TryGetProperty("query_text", out var q) && q.ValueKind == System.Text.Json.JsonValueKind.String ? q.GetString()! : "",
        _ => "",
    };

    private static string SearchText(string type, JsonObject data) => type switch
    {
        "saved_queries" => string.Join(" ", new[] { "title", "description", "sql", "tags" }.Select(f => data[f]?.GetValue<string>() ?? "")),
        "query_history" => data["query_text"]?.GetValue<string>() ?? "",
        _ => "",
    };

    public void Dispose() => SqliteConnection.ClearPool(new SqliteConnection(_connectionString));

    // A class with setters: Dapper then converts each value, whatever type SQLite reports for an expression column.
    private sealed class RecordRow
    {
        public string Type { get; set; } = "";
        public string Id { get; set; } = "";
        public long Version { get; set; }
        public long ServerSeq { get; set; }
        public string Data { get; set; } = "{}";
        public long Deleted { get; set; }
        public string UpdatedAt { get; set; } = "";
        public long Pending { get; set; }

        public LocalRecord ToRecord() => new(Type, Id, Version, ServerSeq, JsonNode.Parse(Data)!.AsObject(), Deleted != 0, UpdatedAt, Pending != 0);
    }

    private sealed record OutboxRow(long Seq, string MutationId, string Type, string Id, string Op, long BaseVersion, string UpdatedAt, string? Data,
        string DueAt, long Attempts)
    {
        public OutboxEntry ToEntry() => new(Seq, MutationId, Type, Id, Op, BaseVersion, UpdatedAt,
            Data is null ? null : JsonNode.Parse(Data)!.AsObject(), DueAt, (int)Attempts);
    }
}
