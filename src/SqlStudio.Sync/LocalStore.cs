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
        CREATE VIRTUAL TABLE IF NOT EXISTS records_fts USING fts5 (search_text, content = 'records', content_rowid = 'row_id');
        CREATE TRIGGER IF NOT EXISTS records_ai AFTER INSERT ON records BEGIN
            INSERT INTO records_fts (rowid, search_text) VALUES (new.row_id, new.search_text); END;
        CREATE TRIGGER IF NOT EXISTS records_ad AFTER DELETE ON records BEGIN
            INSERT INTO records_fts (records_fts, rowid, search_text) VALUES ('delete', old.row_id, old.search_text); END;
        CREATE TRIGGER IF NOT EXISTS records_au AFTER UPDATE OF search_text ON records BEGIN
            INSERT INTO records_fts (records_fts, rowid, search_text) VALUES ('delete', old.row_id, old.search_text);
            INSERT INTO records_fts (rowid, search_text) VALUES (new.row_id, new.search_text); END;
        CREATE TABLE IF NOT EXISTS outbox (
            seq INTEGER PRIMARY KEY AUTOINCREMENT, mutation_id TEXT NOT NULL UNIQUE, type TEXT NOT NULL, id TEXT NOT NULL,
            op TEXT NOT NULL, base_version INTEGER NOT NULL, updated_at TEXT NOT NULL, data TEXT, due_at TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0, UNIQUE (type, id));
        CREATE TABLE IF NOT EXISTS secrets (type TEXT NOT NULL, id TEXT NOT NULL, field TEXT NOT NULL, value TEXT NOT NULL,
            PRIMARY KEY (type, id, field));
        CREATE TABLE IF NOT EXISTS conflicts (conflict_id TEXT PRIMARY KEY, type TEXT NOT NULL, id TEXT NOT NULL, detail TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
        """;

    private readonly string _connectionString;

    static LocalStore()
    {
        DefaultTypeMap.MatchNamesWithUnderscores = true;
    }

    public LocalStore(string path)
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!);
        Path = path;
        _connectionString = new SqliteConnectionStringBuilder { DataSource = path, Pooling = true, DefaultTimeout = 30 }.ToString();
        using var connection = Open();
        connection.Execute(Schema);
    }

    public string Path { get; }

    public SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        connection.Execute("PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 30000; PRAGMA synchronous = NORMAL;");
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

    /// <summary>Full-text search over saved queries and history on this device.</summary>
    public async Task<IReadOnlyList<LocalRecord>> SearchAsync(string text, int limit = 50)
    {
        var terms = string.Join(" ", text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(w => "\"" + w.Replace("\"", "\"\"") + "\""));
        if (terms.Length == 0)
        {
            return [];
        }
        return await ReadAsync(async c => (await c.QueryAsync<RecordRow>(
            """
            SELECT r.type, r.id, r.version, r.server_seq, r.data, r.deleted, r.updated_at, 0 AS pending
            FROM records_fts f JOIN records r ON r.row_id = f.rowid
            WHERE records_fts MATCH @terms AND r.deleted = 0 ORDER BY rank LIMIT @limit
            """, new { terms, limit })).Select(r => r.ToRecord()).ToList());
    }

    public static Task PutAsync(SqliteConnection c, SqliteTransaction t, string type, string id, long version, long serverSeq, JsonObject data,
        bool deleted, string updatedAt) =>
        c.ExecuteAsync(
            """
            INSERT INTO records (type, id, version, server_seq, data, deleted, updated_at, search_text)
            VALUES (@type, @id, @version, @serverSeq, @data, @deleted, @updatedAt, @search)
            ON CONFLICT (type, id) DO UPDATE SET version = excluded.version, server_seq = excluded.server_seq, data = excluded.data,
                deleted = excluded.deleted, updated_at = excluded.updated_at, search_text = excluded.search_text
            """,
            new { type, id, version, serverSeq, data = data.ToJsonString(), deleted, updatedAt, search = SearchText(type, data) }, t);

    public static async Task<OutboxEntry?> PendingAsync(SqliteConnection c, SqliteTransaction? t, string type, string id) =>
        (await c.QueryAsync<OutboxRow>("SELECT * FROM outbox WHERE type = @type AND id = @id", new { type, id }, t)).Select(r => r.ToEntry()).FirstOrDefault();

    public async Task<IReadOnlyList<OutboxEntry>> OutboxAsync(string? dueBy = null, int limit = int.MaxValue) =>
        await ReadAsync(async c => (await c.QueryAsync<OutboxRow>(
            "SELECT * FROM outbox WHERE @dueBy IS NULL OR due_at <= @dueBy ORDER BY seq LIMIT @limit", new { dueBy, limit }))
            .Select(r => r.ToEntry()).ToList());

    public Task<long> PendingCountAsync() => ReadAsync(c => c.ExecuteScalarAsync<long>("SELECT count(*) FROM outbox"));

    public Task<string?> NextDueAsync() => ReadAsync(c => c.ExecuteScalarAsync<string?>("SELECT min(due_at) FROM outbox"));

    public async Task<string?> GetMetaAsync(string key) =>
        await ReadAsync(c => c.ExecuteScalarAsync<string?>("SELECT value FROM meta WHERE key = @key", new { key }));

    public static Task SetMetaAsync(SqliteConnection c, SqliteTransaction? t, string key, string? value) =>
        c.ExecuteAsync("INSERT INTO meta (key, value) VALUES (@key, @value) ON CONFLICT (key) DO UPDATE SET value = excluded.value", new { key, value }, t);

    public Task SetMetaAsync(string key, string? value) => WriteAsync(async (c, t) => { await SetMetaAsync(c, t, key, value); return true; });

    public async Task<IReadOnlyDictionary<string, string>> SecretsAsync(string type, string id) =>
        (await ReadAsync(c => c.QueryAsync<(string Field, string Value)>("SELECT field, value FROM secrets WHERE type = @type AND id = @id", new { type, id })))
        .ToDictionary(s => s.Field, s => s.Value);

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
