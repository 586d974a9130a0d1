using System.Data;
using System.Data.Common;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;
using MySqlConnector;
using Npgsql;

namespace SqlStudio.Desktop.Workspace;

public sealed record ColumnInfo(string Name, string Type);

/// <summary>One result set: its columns and the rows read so far (cells as display text, each bounded).</summary>
public sealed class ResultSet(IReadOnlyList<ColumnInfo> columns)
{
    public IReadOnlyList<ColumnInfo> Columns { get; } = columns;
    public List<string?[]> Rows { get; } = [];

    /// <summary>More rows wait on the database ("Load more").</summary>
    public bool HasMore { get; set; }

    /// <summary>The grid reached <see cref="QueryRunner.MaxRowsKept"/>; the rest is not read (memory stays bounded).</summary>
    public bool Capped { get; set; }
}

/// <summary>Where the database said the error is, when it said it.</summary>
public sealed record QueryError(string Message, int? Line = null, int? Column = null, string? LineText = null)
{
    public string Position => Line is { } line ? Column is { } column ? $"line {line}, column {column}" : $"line {line}" : "";
}

/// <summary>A run of a tab's SQL: result sets, rows affected, the error, the time it took, and whether it was cancelled.</summary>
public sealed class QueryRun
{
    public List<ResultSet> Sets { get; } = [];
    public long RowsAffected { get; set; } = -1;
    public QueryError? Error { get; set; }
    public bool Cancelled { get; set; }
    public bool Running { get; set; }
    public TimeSpan Elapsed { get; set; }
    public string Sql { get; init; } = "";
    public string? ConnectionId { get; init; }

    public long RowsRead => Sets.Sum(s => (long)s.Rows.Count);
}

/// <summary>
/// Runs SQL for the tabs of one window: the first page of each result set (the row limit, 1,000 by default) with column
/// names and types, "Load more" on the same open reader (so a table of any size streams and memory stays bounded),
/// several result sets, rows affected, the database's error with its position, and Cancel that stops the query on the
/// database (a cancel request for PostgreSQL and MySQL, an interrupt for SQLite). Every run goes to the history.
/// </summary>
public sealed class QueryRunner(Connections connections, History history) : IAsyncDisposable
{
    /// <summary>Most rows a grid keeps: past this a result is cut (export or a narrower query gets the rest).</summary>
    public const int MaxRowsKept = 100_000;

    /// <summary>Longest text a cell keeps (a 200 MB value is shown by its size, not held).</summary>
    public const int MaxCellChars = 4_000;

    private readonly Dictionary<string, TabQuery> _tabs = new(StringComparer.Ordinal);

    public TabQuery For(string tabId)
    {
        lock (_tabs)
        {
            if (!_tabs.TryGetValue(tabId, out var tab))
            {
                _tabs[tabId] = tab = new TabQuery(connections, history);
            }
            return tab;
        }
    }

    public async Task CloseAsync(string tabId)
    {
        TabQuery? tab;
        lock (_tabs)
        {
            _tabs.Remove(tabId, out tab);
        }
        if (tab is not null)
        {
            await tab.DisposeAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        List<TabQuery> tabs;
        lock (_tabs)
        {
            tabs = _tabs.Values.ToList();
            _tabs.Clear();
        }
        foreach (var tab in tabs)
        {
            await tab.DisposeAsync();
        }
    }
}

/// <summary>One tab's query: at most one run at a time, its reader kept open while rows remain.</summary>
public sealed partial class TabQuery(Connections connections, History history) : IAsyncDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private CancellationTokenSource? _cancel;
    private DbConnection? _db;
    private DbCommand? _command;
    private DbDataReader? _reader;
    private string?[]? _pendingRow;
    private long _affectedBefore;

    public QueryRun? Last { get; private set; }

    public event Action? Changed;

    public bool IsRunning => Last?.Running == true;

    /// <summary>
    /// Runs <paramref name="sql"/> on <paramref name="connection"/>: the first <paramref name="rowLimit"/> rows of each result
    /// set. The work runs on the thread pool (SQLite's driver steps synchronously): the window's Cancel stays live.
    /// </summary>
    public Task<QueryRun> RunAsync(ConnectionDetails connection, string sql, int rowLimit) => Task.Run(() => RunCoreAsync(connection, sql, rowLimit));

    /// <summary>The next page of the result set that has more rows (then the result sets after it).</summary>
    public Task LoadMoreAsync(int rowLimit) => Task.Run(() => LoadMoreCoreAsync(rowLimit));

    private async Task<QueryRun> RunCoreAsync(ConnectionDetails connection, string sql, int rowLimit)
    {
        await CancelAndCloseAsync();
        await _gate.WaitAsync();
        var run = new QueryRun { Sql = sql, ConnectionId = connection.Id, Running = true };
        Last = run;
        Changed?.Invoke();
        var watch = Stopwatch.StartNew();
        _cancel = new CancellationTokenSource();
        var ct = _cancel.Token;
        try
        {
            if (string.IsNullOrWhiteSpace(sql))
            {
                run.Error = new QueryError("There is nothing to run: write a statement first.");
                return run;
            }
            _db = await connections.OpenAsync(connection, ct);
            _command = _db.CreateCommand();
            _command.CommandText = sql;
            _command.CommandTimeout = 0;
            _reader = await _command.ExecuteReaderAsync(CommandBehavior.SequentialAccess, ct);
            _affectedBefore = 0;
            await ReadResultsAsync(run, rowLimit, ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            run.Cancelled = true;
        }
        catch (ConnectionProblem problem)
        {
            run.Error = new QueryError(problem.Message);
        }
        catch (DbException ex) when (ct.IsCancellationRequested || IsCancellation(ex))
        {
            run.Cancelled = true;
        }
        catch (DbException ex)
        {
            run.Error = Describe(ex, sql);
        }
        catch (InvalidOperationException) when (ct.IsCancellationRequested)
        {
            run.Cancelled = true;
        }
        finally
        {
            run.Elapsed = watch.Elapsed;
            run.Running = false;
            if (run.Error is not null || run.Cancelled || _reader is null || !run.Sets.Any(s => s.HasMore))
            {
                await CloseAsync();
            }
            _gate.Release();
            Changed?.Invoke();
        }
        await history.RecordAsync(run);
        return run;
    }

    private async Task LoadMoreCoreAsync(int rowLimit)
    {
        if (Last is not { } run || _reader is null)
        {
            return;
        }
        await _gate.WaitAsync();
        run.Running = true;
        Changed?.Invoke();
        _cancel = new CancellationTokenSource();
        var ct = _cancel.Token;
        try
        {
            await ReadResultsAsync(run, rowLimit, ct, continuing: true);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            run.Cancelled = true;
        }
        catch (DbException ex) when (ct.IsCancellationRequested || IsCancellation(ex))
        {
            run.Cancelled = true;
        }
        catch (DbException ex)
        {
            run.Error = Describe(ex, run.Sql);
        }
        finally
        {
            run.Running = false;
            if (run.Error is not null || run.Cancelled || !run.Sets.Any(s => s.HasMore))
            {
                await CloseAsync();
            }
            _gate.Release();
            Changed?.Invoke();
        }
    }

    /// <summary>Stops the running query on the database.</summary>
    public void Cancel()
    {
        try
        {
            _cancel?.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
        switch (_db)
        {
            case SqliteConnection { Handle: { } handle }:
                // SQLite runs in this process: an interrupt stops the statement at its next step.
                SQLitePCL.raw.sqlite3_interrupt(handle);
                break;
            case not null when _command is { } command:
                try
                {
                    command.Cancel();
                }
                catch (Exception ex) when (ex is DbException or InvalidOperationException)
                {
                    // Already finished.
                }
                break;
        }
    }

    private async Task ReadResultsAsync(QueryRun run, int rowLimit, CancellationToken ct, bool continuing = false)
    {
        var reader = _reader!;
        var current = continuing ? run.Sets.LastOrDefault(s => s.HasMore) : null;
        while (true)
        {
            if (current is null && reader.FieldCount > 0)
            {
                current = new ResultSet(Enumerable.Range(0, reader.FieldCount)
                    .Select(i => new ColumnInfo(reader.GetName(i), SafeTypeName(reader, i))).ToList());
                run.Sets.Add(current);
            }
            if (current is not null)
            {
                current.HasMore = false;
                var read = 0;
                if (_pendingRow is { } pending)
                {
                    current.Rows.Add(pending);
                    _pendingRow = null;
                    read++;
                }
                while (await reader.ReadAsync(ct))
                {
                    var row = ReadRow(reader);
                    if (read >= rowLimit || current.Rows.Count >= QueryRunner.MaxRowsKept)
                    {
                        // One row past the page: more are there. Kept for the next page.
                        if (current.Rows.Count >= QueryRunner.MaxRowsKept)
                        {
                            current.Capped = true;
                            break;
                        }
                        _pendingRow = row;
                        current.HasMore = true;
                        return;
                    }
                    current.Rows.Add(row);
                    read++;
                }
            }
            current = null;
            if (!await reader.NextResultAsync(ct))
            {
                break;
            }
        }
        var affected = reader.RecordsAffected;
        run.RowsAffected = affected >= 0 ? affected - _affectedBefore : -1;
    }

    private static string SafeTypeName(DbDataReader reader, int i)
    {
        try
        {
            return reader.GetDataTypeName(i);
        }
        catch (Exception ex) when (ex is InvalidOperationException or NotSupportedException)
        {
            return "";
        }
    }

    private static string?[] ReadRow(DbDataReader reader)
    {
        var row = new string?[reader.FieldCount];
        for (var i = 0; i < row.Length; i++)
        {
            if (reader.IsDBNull(i))
            {
                continue;
            }
            var type = reader.GetFieldType(i);
            // SQLite's reader has the value in memory already, and its streams fail on values of hundreds of megabytes: its
            // text is read whole and cut below. The network drivers stream it, so only the first characters are read.
            if (type == typeof(string) && reader is not SqliteDataReader)
            {
                using var text = reader.GetTextReader(i);
                var buffer = new char[QueryRunner.MaxCellChars + 1];
                var count = text.ReadBlock(buffer, 0, buffer.Length);
                row[i] = count > QueryRunner.MaxCellChars
                    ? new string(buffer, 0, QueryRunner.MaxCellChars) + Cut
                    : new string(buffer, 0, count);
                continue;
            }
            row[i] = Format(reader.GetValue(i));
        }
        return row;
    }

    private static readonly string Cut = FormattableString.Invariant($"… (cut at {QueryRunner.MaxCellChars:N0} characters)");

    public static string Format(object value) => value switch
    {
        byte[] bytes => bytes.Length <= 32 ? "0x" + Convert.ToHexString(bytes) : FormattableString.Invariant($"0x{Convert.ToHexString(bytes, 0, 32)}… ({bytes.Length:N0} bytes)"),
        DateTime time => time.ToString(time.TimeOfDay == TimeSpan.Zero ? "yyyy-MM-dd" : "yyyy-MM-dd HH:mm:ss.FFFFFFF", CultureInfo.InvariantCulture),
        DateTimeOffset time => time.ToString("yyyy-MM-dd HH:mm:ss.FFFFFFFzzz", CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        string text when text.Length > QueryRunner.MaxCellChars => text[..QueryRunner.MaxCellChars] + Cut,
        string text => text,
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture) ?? "",
        _ => value.ToString() is { Length: > QueryRunner.MaxCellChars } longText ? longText[..QueryRunner.MaxCellChars] + "…" : value.ToString() ?? "",
    };

    private static bool IsCancellation(DbException ex) => ex switch
    {
        PostgresException { SqlState: "57014" } => true,
        MySqlException { ErrorCode: MySqlErrorCode.QueryInterrupted } => true,
        SqliteException { SqliteErrorCode: 9 } => true, // SQLITE_INTERRUPT
        _ => false,
    };

    /// <summary>The database's error, with the line and column it names (PostgreSQL's position, MySQL's line, SQLite's token).</summary>
    public static QueryError Describe(DbException ex, string sql)
    {
        switch (ex)
        {
            case PostgresException pg when pg.Position > 0:
                // Npgsql sends each statement on its own: the position counts from the start of the one that failed.
                // (Npgsql's BatchCommand names the whole command text here, so the statement is found by what the error quotes.)
                var statement = StatementAt(sql, pg.Position - 1, Quoted().Match(pg.MessageText) is { Success: true } quoted ? quoted.Groups[1].Value : null);
                return At(pg.MessageText, sql, statement + pg.Position - 1);
            case PostgresException pg:
                return new QueryError(pg.MessageText);
            case MySqlException my when MySqlNear().Match(my.Message) is { Success: true } match:
                // The server counts lines within the statement that failed: find what it quotes in the whole text instead.
                var near = match.Groups["near"].Value.Split('\n')[0];
                if (near.Length > 0 && sql.IndexOf(near, StringComparison.Ordinal) is >= 0 and var index)
                {
                    return At(my.Message, sql, index);
                }
                return new QueryError(my.Message, int.Parse(match.Groups["line"].Value, CultureInfo.InvariantCulture));
            case SqliteException sqlite:
                var message = sqlite.Message.StartsWith("SQLite Error", StringComparison.Ordinal) && sqlite.Message.IndexOf(": '", StringComparison.Ordinal) is > 0 and var start
                    ? sqlite.Message[(start + 3)..].TrimEnd('.', '\'')
                    : sqlite.Message;
                return SqliteNear().Match(message) is { Success: true } token && sql.IndexOf(token.Groups["token"].Value, StringComparison.Ordinal) is >= 0 and var at
                    ? At(message, sql, at)
                    : new QueryError(message);
            default:
                return new QueryError(ex.Message);
        }
    }

    private static QueryError At(string message, string sql, int index)
    {
        index = Math.Clamp(index, 0, Math.Max(0, sql.Length - 1));
        var line = sql[..index].Count(c => c == '\n') + 1;
        var lineStart = sql.LastIndexOf('\n', Math.Max(0, index - 1)) is var nl && nl >= 0 && nl < index ? nl + 1 : 0;
        var lineEnd = sql.IndexOf('\n', index) is var end and >= 0 ? end : sql.Length;
        return new QueryError(message, line, index - lineStart + 1, sql[lineStart..lineEnd].TrimEnd('\r'));
    }

    /// <summary>
    /// Where the statement an error's position counts from begins: of the statements (split at semicolons outside quotes
    /// and comments), the one where the position lands on the name the error quotes; else the first.
    /// </summary>
    internal static int StatementAt(string sql, int position, string? quoted)
    {
        var starts = StatementStarts(sql);
        foreach (var start in starts)
        {
            var at = start + position;
            var end = at + (quoted?.Length ?? 0);
            if (quoted is { Length: > 0 } && end <= sql.Length && sql.AsSpan(at).StartsWith(quoted, StringComparison.OrdinalIgnoreCase) &&
                (end == sql.Length || !(char.IsLetterOrDigit(sql[end]) || sql[end] == '_')))
            {
                return start;
            }
        }
        return starts[0];
    }

    /// <summary>The offset where each statement's text begins (after leading blanks).</summary>
    internal static List<int> StatementStarts(string sql)
    {
        var starts = new List<int>();
        var start = 0;
        char? quote = null;
        var lineComment = false;
        var blockComment = false;
        for (var i = 0; i < sql.Length; i++)
        {
            var c = sql[i];
            if (lineComment)
            {
                lineComment = c != '\n';
            }
            else if (blockComment)
            {
                if (c == '*' && i + 1 < sql.Length && sql[i + 1] == '/')
                {
                    blockComment = false;
                    i++;
                }
            }
            else if (quote is { } q)
            {
                quote = c == q ? null : quote;
            }
            else if (c is '\'' or '"' or '`')
            {
                quote = c;
            }
            else if (c == '-' && i + 1 < sql.Length && sql[i + 1] == '-')
            {
                lineComment = true;
            }
            else if (c == '/' && i + 1 < sql.Length && sql[i + 1] == '*')
            {
                blockComment = true;
            }
            else if (c == ';')
            {
                starts.Add(SkipBlanks(sql, start));
                start = i + 1;
            }
        }
        if (sql[start..].Trim().Length > 0 || starts.Count == 0)
        {
            starts.Add(SkipBlanks(sql, start));
        }
        return starts;
    }

    private static int SkipBlanks(string sql, int index)
    {
        while (index < sql.Length && char.IsWhiteSpace(sql[index]))
        {
            index++;
        }
        return index;
    }

    [GeneratedRegex("\"([^\"]+)\"")]
    private static partial Regex Quoted();

    [GeneratedRegex(@"near '(?<near>.*)' at line (?<line>\d+)", RegexOptions.Singleline)]
    private static partial Regex MySqlNear();

    [GeneratedRegex(@"near ""(?<token>[^""]+)""")]
    private static partial Regex SqliteNear();

    /// <summary>The loaded rows as CSV (RFC 4180) or JSON (an array of objects per result set).</summary>
    public static string Export(ResultSet set, string format)
    {
        var text = new StringBuilder();
        if (format == "json")
        {
            using var stream = new MemoryStream();
            using (var json = new System.Text.Json.Utf8JsonWriter(stream, new System.Text.Json.JsonWriterOptions { Indented = true }))
            {
                json.WriteStartArray();
                foreach (var row in set.Rows)
                {
                    json.WriteStartObject();
                    for (var i = 0; i < set.Columns.Count; i++)
                    {
                        json.WriteString(set.Columns[i].Name, row[i]);
                    }
                    json.WriteEndObject();
                }
                json.WriteEndArray();
            }
            return Encoding.UTF8.GetString(stream.ToArray());
        }
        text.AppendLine(string.Join(",", set.Columns.Select(c => Csv(c.Name))));
        foreach (var row in set.Rows)
        {
            text.AppendLine(string.Join(",", row.Select(Csv)));
        }
        return text.ToString();
    }

    private static string Csv(string? value) =>
        value is null ? "" : value.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + value.Replace("\"", "\"\"") + "\"" : value;

    private async Task CancelAndCloseAsync()
    {
        if (IsRunning)
        {
            Cancel();
        }
        await _gate.WaitAsync();
        try
        {
            await CloseAsync();
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task CloseAsync()
    {
        _pendingRow = null;
        if (_reader is not null)
        {
            try
            {
                if (_command is not null && _db is not SqliteConnection)
                {
                    // Closing a reader with rows left reads them all first (PostgreSQL, MySQL): cancel instead.
                    _command.Cancel();
                }
                await _reader.DisposeAsync();
            }
            catch (Exception ex) when (ex is DbException or InvalidOperationException or OperationCanceledException)
            {
            }
            _reader = null;
        }
        if (_command is not null)
        {
            await _command.DisposeAsync();
            _command = null;
        }
        if (_db is not null)
        {
            await _db.DisposeAsync();
            _db = null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        Cancel();
        await CancelAndCloseAsync();
        _cancel?.Dispose();
    }
}
