using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace SqlStudio.Testing;

/// <summary>
/// A Hrana over HTTP server (v2 and v3 JSON) over a SQLite file, for tests: one SQLite connection per stream, batons,
/// 10 s stream expiry, batches with conditions, <c>sequence</c>, <c>store_sql</c>, both error shapes, and faults to
/// inject (429 with Retry-After, 503, STREAM_EXPIRED, a dropped connection, slow answers).
/// </summary>
public sealed class HranaTestServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly string _connectionString;
    private readonly ConcurrentDictionary<string, Stream> _streams = new();

    private sealed class Stream(SqliteConnection connection)
    {
        public SqliteConnection Connection { get; } = connection;
        public Dictionary<int, string> Sql { get; } = [];
        public DateTime LastUsed { get; set; } = DateTime.UtcNow;
        public SemaphoreSlim Gate { get; } = new(1, 1);
    }

    private HranaTestServer(WebApplication app, string path)
    {
        _app = app;
        _connectionString = new SqliteConnectionStringBuilder { DataSource = path, Pooling = false, DefaultTimeout = 10 }.ToString();
    }

    public string Url { get; private set; } = "";

    public TimeSpan StreamExpiry { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Only the v2 endpoints (GET /v3 answers 404), like an older sqld.</summary>
    public bool V2Only { get; set; }

    // Faults, each used up by the next pipeline request.
    public int Next429 { get; set; }
    public int Next503 { get; set; }
    public int NextStreamExpired { get; set; }
    public int NextDropAfterExecute { get; set; }
    public TimeSpan Slow { get; set; }
    public bool HtmlErrors { get; set; }

    public int PipelineRequests;

    /// <summary>Streams opened (pipelines without a baton).</summary>
    public int StreamsOpened;

    /// <summary>When set, every pipeline must carry <c>Authorization: Bearer {token}</c> (as Turso requires).</summary>
    public string? RequiredToken { get; set; }

    public static async Task<HranaTestServer> StartAsync(string databasePath)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        var app = builder.Build();
        var server = new HranaTestServer(app, databasePath);
        app.MapGet("/v3", () => server.V2Only ? Results.NotFound() : Results.Ok());
        app.MapGet("/v2", () => Results.Ok());
        app.MapPost("/v3/pipeline", server.PipelineAsync);
        app.MapPost("/v2/pipeline", server.PipelineAsync);
        await app.StartAsync();
        server.Url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return server;
    }

    private async Task PipelineAsync(HttpContext context)
    {
        Interlocked.Increment(ref PipelineRequests);
        if (Slow > TimeSpan.Zero)
        {
            await Task.Delay(Slow);
        }
        if (RequiredToken is { } token && context.Request.Headers.Authorization.ToString() != "Bearer " + token)
        {
            context.Response.StatusCode = 401;
            await context.Response.WriteAsJsonAsync(new { error = "Authentication failed: the JWT is invalid" });
            return;
        }
        var body = JsonNode.Parse(await new StreamReader(context.Request.Body).ReadToEndAsync())!.AsObject();
        var baton = body["baton"]?.GetValue<string>();
        if (Take(() => Next429, v => Next429 = v))
        {
            context.Response.Headers.RetryAfter = "1";
            await Error(context, 429, "Too many requests", html: HtmlErrors);
            return;
        }
        if (Take(() => Next503, v => Next503 = v))
        {
            await Error(context, 503, "Service unavailable", html: HtmlErrors);
            return;
        }
        Stream stream;
        if (baton is null)
        {
            Interlocked.Increment(ref StreamsOpened);
            var connection = new SqliteConnection(_connectionString);
            connection.Open();
            using (var pragma = connection.CreateCommand())
            {
                pragma.CommandText = "PRAGMA busy_timeout = 10000;";
                pragma.ExecuteNonQuery();
            }
            stream = new Stream(connection);
        }
        else if (Take(() => NextStreamExpired, v => NextStreamExpired = v) || !_streams.TryRemove(baton, out stream!) || DateTime.UtcNow - stream.LastUsed > StreamExpiry)
        {
            context.Response.StatusCode = 400;
            await context.Response.WriteAsJsonAsync(new { error = new { message = "The stream has expired due to inactivity", code = "STREAM_EXPIRED" } });
            return;
        }
        await stream.Gate.WaitAsync();
        var results = new JsonArray();
        var open = true;
        try
        {
            foreach (var request in body["requests"]!.AsArray())
            {
                if (!open)
                {
                    results.Add(Fail("the stream was closed", "STREAM_CLOSED"));
                    continue;
                }
                var type = request!["type"]!.GetValue<string>();
                try
                {
                    results.Add(new JsonObject { ["type"] = "ok", ["response"] = Run(stream, type, request.AsObject(), ref open) });
                }
                catch (SqliteException ex)
                {
                    results.Add(Fail(ex.Message, Code(ex)));
                }
                catch (InvalidOperationException ex)
                {
                    results.Add(Fail(ex.Message, "PROTOCOL"));
                }
            }
        }
        finally
        {
            stream.LastUsed = DateTime.UtcNow;
            stream.Gate.Release();
        }
        string? next = null;
        if (open)
        {
            next = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
            _streams[next] = stream;
        }
        else
        {
            stream.Connection.Dispose();
        }
        if (Take(() => NextDropAfterExecute, v => NextDropAfterExecute = v))
        {
            // The work is done and committed, but the answer never arrives.
            context.Abort();
            return;
        }
        await context.Response.WriteAsJsonAsync(new JsonObject { ["baton"] = next, ["base_url"] = null, ["results"] = results });
    }

    private JsonObject Run(Stream stream, string type, JsonObject request, ref bool open)
    {
        switch (type)
        {
            case "execute":
                return new JsonObject { ["type"] = "execute", ["result"] = Execute(stream, request["stmt"]!.AsObject()) };
            case "batch":
                return new JsonObject { ["type"] = "batch", ["result"] = Batch(stream, request["batch"]!["steps"]!.AsArray()) };
            case "sequence":
                using (var command = stream.Connection.CreateCommand())
                {
                    command.CommandText = SqlOf(stream, request);
                    command.ExecuteNonQuery();
                }
                return new JsonObject { ["type"] = "sequence" };
            case "store_sql":
                stream.Sql[request["sql_id"]!.GetValue<int>()] = request["sql"]!.GetValue<string>();
                return new JsonObject { ["type"] = "store_sql" };
            case "close_sql":
                stream.Sql.Remove(request["sql_id"]!.GetValue<int>());
                return new JsonObject { ["type"] = "close_sql" };
            case "get_autocommit":
                return new JsonObject { ["type"] = "get_autocommit", ["is_autocommit"] = SQLitePCL.raw.sqlite3_get_autocommit(stream.Connection.Handle) != 0 };
            case "close":
                open = false;
                return new JsonObject { ["type"] = "close" };
            default:
                throw new InvalidOperationException($"unknown request type '{type}'");
        }
    }

    /// <summary>
    /// sqld binds <c>args</c> by position, which Microsoft.Data.Sqlite cannot do for a bare <c>?</c> (it binds by name):
    /// each bare <c>?</c> outside literals and comments becomes <c>?N</c>, numbered as SQLite numbers them.
    /// </summary>
    private static string NumberPositionalParameters(string sql)
    {
        var result = new System.Text.StringBuilder(sql.Length + 8);
        var highest = 0;
        for (var i = 0; i < sql.Length; i++)
        {
            var c = sql[i];
            if (c is '\'' or '"' or '`' or '[')
            {
                var close = c == '[' ? ']' : c;
                var end = sql.IndexOf(close, i + 1);
                end = end < 0 ? sql.Length - 1 : end;
                result.Append(sql, i, end - i + 1);
                i = end;
            }
            else if (c == '-' && i + 1 < sql.Length && sql[i + 1] == '-')
            {
                var end = sql.IndexOf('\n', i);
                end = end < 0 ? sql.Length - 1 : end;
                result.Append(sql, i, end - i + 1);
                i = end;
            }
            else if (c == '/' && i + 1 < sql.Length && sql[i + 1] == '*')
            {
                var end = sql.IndexOf("*/", i + 2, StringComparison.Ordinal);
                end = end < 0 ? sql.Length - 1 : end + 1;
                result.Append(sql, i, end - i + 1);
                i = end;
            }
            else if (c == '?')
            {
                var digits = i + 1;
                while (digits < sql.Length && char.IsAsciiDigit(sql[digits]))
                {
                    digits++;
                }
                var number = digits > i + 1 ? int.Parse(sql.AsSpan(i + 1, digits - i - 1)) : ++highest;
                highest = Math.Max(highest, number);
                result.Append('?').Append(number);
                i = digits - 1;
            }
            else
            {
                result.Append(c);
            }
        }
        return result.ToString();
    }

    private static string SqlOf(Stream stream, JsonObject request) =>
        request["sql"]?.GetValue<string>() ?? stream.Sql[request["sql_id"]!.GetValue<int>()];

    private static JsonObject Execute(Stream stream, JsonObject stmt)
    {
        using var command = stream.Connection.CreateCommand();
        command.CommandText = NumberPositionalParameters(SqlOf(stream, stmt));
        var index = 1;
        foreach (var arg in stmt["args"]?.AsArray() ?? [])
        {
            command.Parameters.AddWithValue("?" + index++, Decode(arg));
        }
        foreach (var arg in stmt["named_args"]?.AsArray() ?? [])
        {
            command.Parameters.AddWithValue(arg!["name"]!.GetValue<string>(), Decode(arg["value"]));
        }
        var wantRows = stmt["want_rows"]?.GetValue<bool>() ?? true;
        using var reader = command.ExecuteReader();
        var cols = new JsonArray();
        for (var i = 0; i < reader.FieldCount; i++)
        {
            string? decl = null;
            try
            {
                decl = reader.GetDataTypeName(i);
            }
            catch (InvalidOperationException)
            {
            }
            cols.Add(new JsonObject { ["name"] = reader.GetName(i), ["decltype"] = string.IsNullOrEmpty(decl) ? null : decl });
        }
        var rows = new JsonArray();
        while (reader.Read())
        {
            if (!wantRows)
            {
                continue;
            }
            var row = new JsonArray();
            for (var i = 0; i < reader.FieldCount; i++)
            {
                row.Add(Encode(reader.IsDBNull(i) ? null : reader.GetValue(i)));
            }
            rows.Add(row);
        }
        var affected = Math.Max(0, reader.RecordsAffected);
        reader.Close();
        long lastId;
        using (var last = stream.Connection.CreateCommand())
        {
            last.CommandText = "SELECT last_insert_rowid()";
            lastId = (long)last.ExecuteScalar()!;
        }
        return new JsonObject { ["cols"] = cols, ["rows"] = rows, ["affected_row_count"] = affected, ["last_insert_rowid"] = lastId.ToString() };
    }

    private static JsonObject Batch(Stream stream, JsonArray steps)
    {
        var results = new JsonArray();
        var errors = new JsonArray();
        var outcome = new List<bool?>();
        foreach (var step in steps)
        {
            if (step!["condition"] is JsonObject condition && !Evaluate(condition, outcome, stream))
            {
                results.Add(null);
                errors.Add(null);
                outcome.Add(null);
                continue;
            }
            try
            {
                results.Add(Execute(stream, step["stmt"]!.AsObject()));
                errors.Add(null);
                outcome.Add(true);
            }
            catch (SqliteException ex)
            {
                results.Add(null);
                errors.Add(new JsonObject { ["message"] = ex.Message, ["code"] = Code(ex) });
                outcome.Add(false);
            }
        }
        return new JsonObject { ["step_results"] = results, ["step_errors"] = errors };
    }

    private static bool Evaluate(JsonObject condition, List<bool?> outcome, Stream stream) => condition["type"]!.GetValue<string>() switch
    {
        "ok" => outcome[condition["step"]!.GetValue<int>()] == true,
        "error" => outcome[condition["step"]!.GetValue<int>()] == false,
        "not" => !Evaluate(condition["cond"]!.AsObject(), outcome, stream),
        "and" => condition["conds"]!.AsArray().All(c => Evaluate(c!.AsObject(), outcome, stream)),
        "or" => condition["conds"]!.AsArray().Any(c => Evaluate(c!.AsObject(), outcome, stream)),
        "is_autocommit" => SQLitePCL.raw.sqlite3_get_autocommit(stream.Connection.Handle) != 0,
        var other => throw new InvalidOperationException($"unknown condition '{other}'"),
    };

    private static object Decode(JsonNode? value) => value?["type"]?.GetValue<string>() switch
    {
        "integer" => long.Parse(value["value"]!.GetValue<string>()),
        "float" => value["value"]!.GetValue<double>(),
        "text" => value["value"]!.GetValue<string>(),
        "blob" => Convert.FromBase64String(value["base64"]?.GetValue<string>() ?? ""),
        _ => DBNull.Value,
    };

    private static JsonObject Encode(object? value) => value switch
    {
        null => new JsonObject { ["type"] = "null" },
        long l => new JsonObject { ["type"] = "integer", ["value"] = l.ToString() },
        double d => new JsonObject { ["type"] = "float", ["value"] = d },
        byte[] b => new JsonObject { ["type"] = "blob", ["base64"] = Convert.ToBase64String(b) },
        _ => new JsonObject { ["type"] = "text", ["value"] = value.ToString() },
    };

    private static JsonObject Fail(string message, string code) => new() { ["type"] = "error", ["error"] = new JsonObject { ["message"] = message, ["code"] = code } };

    private static string Code(SqliteException ex) => (ex.SqliteExtendedErrorCode & 0xff) switch
    {
        19 => ex.SqliteExtendedErrorCode switch { 787 => "SQLITE_CONSTRAINT_FOREIGNKEY", 2067 => "SQLITE_CONSTRAINT_UNIQUE", 1555 => "SQLITE_CONSTRAINT_PRIMARYKEY", 1299 => "SQLITE_CONSTRAINT_NOTNULL", 275 => "SQLITE_CONSTRAINT_CHECK", _ => "SQLITE_CONSTRAINT" },
        5 => "SQLITE_BUSY",
        6 => "SQLITE_LOCKED",
        _ => "SQLITE_ERROR",
    };

    private static async Task Error(HttpContext context, int status, string message, bool html)
    {
        context.Response.StatusCode = status;
        if (html)
        {
            context.Response.ContentType = "text/html";
            await context.Response.WriteAsync($"<html><body><h1>{status} {message}</h1></body></html>");
            return;
        }
        await context.Response.WriteAsJsonAsync(new { error = message });
    }

    private static bool Take(Func<int> get, Action<int> set)
    {
        if (get() <= 0)
        {
            return false;
        }
        set(get() - 1);
        return true;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        foreach (var stream in _streams.Values)
        {
            stream.Connection.Dispose();
        }
        _streams.Clear();
    }
}
