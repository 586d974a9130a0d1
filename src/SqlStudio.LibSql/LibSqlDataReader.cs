using System.Collections;
using System.Data.Common;
using System.Globalization;
using System.Text.Json.Nodes;

namespace SqlStudio.LibSql;

/// <summary>
/// The rows of one statement, or of each statement of a batch in turn (<see cref="NextResult"/>), already received:
/// Hrana returns a statement's rows in one answer.
/// </summary>
public sealed class LibSqlDataReader : DbDataReader
{
    private readonly IReadOnlyList<StatementResult> _results;
    private int _current;
    private StatementResult _result;
    private int _row = -1;
    private bool _closed;

    internal LibSqlDataReader(StatementResult result) : this([result])
    {
    }

    internal LibSqlDataReader(IReadOnlyList<StatementResult> results)
    {
        _results = results.Count > 0 ? results : [StatementResult.Empty];
        _result = _results[0];
    }

    public override int FieldCount => _result.Columns.Count;
    public override bool HasRows => _result.Rows.Count > 0;
    public override bool IsClosed => _closed;
    public override int RecordsAffected => (int)_result.AffectedRows;
    public override int Depth => 0;

    public override object this[int ordinal] => GetValue(ordinal);
    public override object this[string name] => GetValue(GetOrdinal(name));

    public override bool Read() => ++_row < _result.Rows.Count;

    public override Task<bool> ReadAsync(CancellationToken cancellationToken) => Task.FromResult(Read());

    public override bool NextResult()
    {
        if (_current + 1 >= _results.Count)
        {
            return false;
        }
        _result = _results[++_current];
        _row = -1;
        return true;
    }

    public override Task<bool> NextResultAsync(CancellationToken cancellationToken) => Task.FromResult(NextResult());

    public override void Close() => _closed = true;

    public override string GetName(int ordinal) => _result.Columns[ordinal].Name;

    public override int GetOrdinal(string name)
    {
        for (var i = 0; i < _result.Columns.Count; i++)
        {
            if (string.Equals(_result.Columns[i].Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return i;
            }
        }
        throw new IndexOutOfRangeException($"No column named '{name}'.");
    }

    public override string GetDataTypeName(int ordinal) => _result.Columns[ordinal].DeclType ?? "";

    /// <summary>The value's type in the current row, else the column's first non-null value, else its declared type.</summary>
    public override Type GetFieldType(int ordinal)
    {
        var sample = _row >= 0 && _row < _result.Rows.Count ? _result.Rows[_row][ordinal] : _result.Rows.Select(r => r[ordinal]).FirstOrDefault(v => v is not DBNull);
        if (sample is not null and not DBNull)
        {
            return sample.GetType();
        }
        return (GetDataTypeName(ordinal).ToUpperInvariant()) switch
        {
            var t when t.Contains("INT") => typeof(long),
            var t when t.Contains("REAL") || t.Contains("FLOA") || t.Contains("DOUB") => typeof(double),
            var t when t.Contains("BLOB") => typeof(byte[]),
            _ => typeof(string),
        };
    }

    public override object GetValue(int ordinal) => _result.Rows[_row][ordinal];

    public override int GetValues(object[] values)
    {
        var count = Math.Min(values.Length, FieldCount);
        Array.Copy(_result.Rows[_row], values, count);
        return count;
    }

    public override bool IsDBNull(int ordinal) => GetValue(ordinal) is DBNull;

    public override bool GetBoolean(int ordinal) => Convert.ToInt64(GetValue(ordinal), CultureInfo.InvariantCulture) != 0;
    public override byte GetByte(int ordinal) => Convert.ToByte(GetValue(ordinal), CultureInfo.InvariantCulture);
    public override char GetChar(int ordinal) => GetString(ordinal)[0];
    public override DateTime GetDateTime(int ordinal) => DateTime.Parse(GetString(ordinal), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);
    public override decimal GetDecimal(int ordinal) => Convert.ToDecimal(GetValue(ordinal), CultureInfo.InvariantCulture);
    public override double GetDouble(int ordinal) => Convert.ToDouble(GetValue(ordinal), CultureInfo.InvariantCulture);
    public override float GetFloat(int ordinal) => Convert.ToSingle(GetValue(ordinal), CultureInfo.InvariantCulture);
    public override Guid GetGuid(int ordinal) => Guid.Parse(GetString(ordinal));
    public override short GetInt16(int ordinal) => Convert.ToInt16(GetValue(ordinal), CultureInfo.InvariantCulture);
    public override int GetInt32(int ordinal) => Convert.ToInt32(GetValue(ordinal), CultureInfo.InvariantCulture);
    public override long GetInt64(int ordinal) => Convert.ToInt64(GetValue(ordinal), CultureInfo.InvariantCulture);

    public override string GetString(int ordinal) => GetValue(ordinal) switch
    {
        string s => s,
        byte[] b => System.Text.Encoding.UTF8.GetString(b),
        var v => Convert.ToString(v, CultureInfo.InvariantCulture) ?? "",
    };

    public override long GetBytes(int ordinal, long dataOffset, byte[]? buffer, int bufferOffset, int length)
    {
        var bytes = (byte[])GetValue(ordinal);
        if (buffer is null)
        {
            return bytes.Length;
        }
        var count = (int)Math.Min(length, bytes.Length - dataOffset);
        Array.Copy(bytes, dataOffset, buffer, bufferOffset, count);
        return count;
    }

    public override long GetChars(int ordinal, long dataOffset, char[]? buffer, int bufferOffset, int length)
    {
        var text = GetString(ordinal);
        if (buffer is null)
        {
            return text.Length;
        }
        var count = (int)Math.Min(length, text.Length - dataOffset);
        text.CopyTo((int)dataOffset, buffer, bufferOffset, count);
        return count;
    }

    public override IEnumerator GetEnumerator() => new DbEnumerator(this, closeReader: false);
}

/// <summary>
/// Several statements as one atomic round trip: <see cref="BeginStatement"/>, each statement conditioned on the previous
/// step, <c>COMMIT</c>, and <c>ROLLBACK</c> when any step failed. The reader returns each statement's rows in turn.
/// </summary>
public sealed class LibSqlBatch : DbBatch
{
    private readonly LibSqlBatchCommandCollection _commands = new();

    public override int Timeout { get; set; } = 30;

    /// <summary>
    /// <c>BEGIN IMMEDIATE</c> (the write lock up front, the default), <c>BEGIN</c> for reads that need one snapshot, or
    /// null for statements that each run on their own.
    /// </summary>
    public string? BeginStatement { get; set; } = "BEGIN IMMEDIATE";

    protected override DbBatchCommandCollection DbBatchCommands => _commands;

    protected override DbConnection? DbConnection { get; set; }

    protected override DbTransaction? DbTransaction { get; set; }

    public override void Cancel()
    {
    }

    public override void Prepare()
    {
    }

    public override Task PrepareAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;

    protected override DbBatchCommand CreateDbBatchCommand() => new LibSqlBatchCommand();

    public override int ExecuteNonQuery() => ExecuteNonQueryAsync().GetAwaiter().GetResult();

    public override object? ExecuteScalar() => ExecuteScalarAsync().GetAwaiter().GetResult();

    protected override DbDataReader ExecuteDbDataReader(System.Data.CommandBehavior behavior) =>
        ExecuteDbDataReaderAsync(behavior, CancellationToken.None).GetAwaiter().GetResult();

    protected override async Task<DbDataReader> ExecuteDbDataReaderAsync(System.Data.CommandBehavior behavior, CancellationToken cancellationToken) =>
        new LibSqlDataReader(await RunAsync(cancellationToken));

    public override async Task<object?> ExecuteScalarAsync(CancellationToken cancellationToken = default)
    {
        var results = await RunAsync(cancellationToken);
        return results.Count > 0 && results[0].Rows.Count > 0 ? results[0].Rows[0][0] : null;
    }

    public override async Task<int> ExecuteNonQueryAsync(CancellationToken cancellationToken = default) =>
        (int)(await RunAsync(cancellationToken)).Sum(r => r.AffectedRows);

    private async Task<IReadOnlyList<StatementResult>> RunAsync(CancellationToken cancellationToken)
    {
        var connection = DbConnection as LibSqlConnection ?? throw new InvalidOperationException("The batch has no libSQL connection.");
        var outcome = (await SendAsync(connection, [this], Timeout, cancellationToken))[0];
        return outcome.Error is { } error ? throw error : outcome.Results!;
    }

    /// <summary>
    /// Several batches in one HTTP round trip (one pipeline, one stream): each is still its own transaction, run one after
    /// the other, and fails or succeeds on its own — group commit for writers that would otherwise each pay a round trip
    /// and wait for sqld's write lock. Each batch gets a reader of its statements' rows, or its own error.
    /// </summary>
    public static async Task<IReadOnlyList<(DbDataReader? Reader, LibSqlException? Error)>> ExecuteManyAsync(
        LibSqlConnection connection, IReadOnlyList<LibSqlBatch> batches, int timeoutSeconds, CancellationToken cancellationToken) =>
        (await SendAsync(connection, batches, timeoutSeconds, cancellationToken))
        .Select(o => (o.Results is null ? null : (DbDataReader?)new LibSqlDataReader(o.Results), o.Error)).ToList();

    /// <summary>
    /// Several write batches as one transaction: group commit in the database as well as on the wire. Each batch runs
    /// inside a savepoint of its own and is rolled back to it alone when one of its steps fails; the next batch starts
    /// only while the transaction is still whole; one <c>COMMIT</c> ends them all. sqld copies every page a commit
    /// changed into its replication log, so small writes that touch the same pages (the users row, an index's last
    /// leaf) cost one copy of each page per group instead of one per batch. When the transaction does not commit as a
    /// whole (an error that rolled all of it back, a failed <c>COMMIT</c>), none of it was written and each batch runs
    /// again as its own transaction. Batches that are not <c>BEGIN IMMEDIATE</c> transactions go as
    /// <see cref="ExecuteManyAsync"/> does.
    /// </summary>
    public static async Task<IReadOnlyList<(DbDataReader? Reader, LibSqlException? Error)>> ExecuteAsOneAsync(
        LibSqlConnection connection, IReadOnlyList<LibSqlBatch> batches, int timeoutSeconds, CancellationToken cancellationToken)
    {
        if (batches.Count > 1 && batches.All(b => string.IsNullOrEmpty(b.BeginStatement)))
        {
            return await ExecuteStatementsAsOneAsync(connection, batches, timeoutSeconds, cancellationToken);
        }
        if (batches.Count < 2 || batches.Any(b => b.BeginStatement != "BEGIN IMMEDIATE"))
        {
            return await ExecuteManyAsync(connection, batches, timeoutSeconds, cancellationToken);
        }
        static JsonObject Ok(int step) => new() { ["type"] = "ok", ["step"] = step };
        static JsonObject Not(JsonObject condition) => new() { ["type"] = "not", ["cond"] = condition };
        var steps = new JsonArray { new JsonObject { ["stmt"] = Hrana.Statement("BEGIN IMMEDIATE", false) } };
        var layout = new List<(int Savepoint, int Last)>();
        JsonObject whole = Ok(0);
        for (var k = 0; k < batches.Count; k++)
        {
            // No RELEASE after a batch that went well: COMMIT releases every savepoint, and a step fewer per batch is a
            // round of sqld's statement machinery fewer.
            var savepoint = steps.Count;
            steps.Add(new JsonObject { ["condition"] = whole, ["stmt"] = Hrana.Statement($"SAVEPOINT g{k}", false) });
            foreach (var command in batches[k]._commands.Items)
            {
                steps.Add(new JsonObject { ["condition"] = Ok(steps.Count - 1), ["stmt"] = StatementOf(command) });
            }
            var last = steps.Count - 1;
            // A step failed: undo this batch alone. ROLLBACK TO fails when the error took the whole transaction with it,
            // and then nothing after it runs.
            var undo = steps.Count;
            steps.Add(new JsonObject
            {
                ["condition"] = new JsonObject { ["type"] = "and", ["conds"] = new JsonArray(Ok(savepoint), Not(Ok(last))) },
                ["stmt"] = Hrana.Statement($"ROLLBACK TO g{k}", false),
            });
            whole = new JsonObject { ["type"] = "or", ["conds"] = new JsonArray(Ok(last), Ok(undo)) };
            layout.Add((savepoint, last));
        }
        var commit = steps.Count;
        steps.Add(new JsonObject { ["condition"] = whole, ["stmt"] = Hrana.Statement("COMMIT", false) });
        steps.Add(new JsonObject { ["condition"] = Not(Ok(commit)), ["stmt"] = Hrana.Statement("ROLLBACK", false) });

        var requests = new JsonArray { new JsonObject { ["type"] = "batch", ["batch"] = new JsonObject { ["steps"] = steps } } };
        var slot = (await PipelineAsync(connection, requests, readOnly: false, timeoutSeconds, cancellationToken))[0];
        var result = slot?["type"]?.GetValue<string>() == "error" ? null : slot?["response"]?["result"];
        if (result?["step_results"]?[commit] is null)
        {
            return await ExecuteManyAsync(connection, batches, timeoutSeconds, cancellationToken);
        }
        var results = result["step_results"]!.AsArray();
        var errors = result["step_errors"]!.AsArray();
        var outcomes = new List<(DbDataReader?, LibSqlException?)>();
        for (var k = 0; k < batches.Count; k++)
        {
            var (savepoint, last) = layout[k];
            if (results[last] is not null)
            {
                outcomes.Add((new LibSqlDataReader(Enumerable.Range(savepoint + 1, last - savepoint)
                    .Select(step => StatementResult.From(results[step]!)).ToList()), null));
                continue;
            }
            var failed = Enumerable.Range(savepoint, last - savepoint + 1).First(step => errors[step] is not null);
            outcomes.Add((null, ErrorOf(errors[failed], "batch step failed", failed > savepoint ? failed - savepoint - 1 : null)));
        }
        return outcomes;
    }

    /// <summary>
    /// Batches of statements that each run on their own (no BEGIN: reads that need no snapshot) as one Hrana batch of
    /// unconditioned steps: the same statements, the same outcomes, one request for sqld to take in instead of one per
    /// batch.
    /// </summary>
    private static async Task<IReadOnlyList<(DbDataReader? Reader, LibSqlException? Error)>> ExecuteStatementsAsOneAsync(
        LibSqlConnection connection, IReadOnlyList<LibSqlBatch> batches, int timeoutSeconds, CancellationToken cancellationToken)
    {
        var steps = new JsonArray();
        foreach (var command in batches.SelectMany(b => b._commands.Items))
        {
            steps.Add(new JsonObject { ["stmt"] = StatementOf(command) });
        }
        var requests = new JsonArray { new JsonObject { ["type"] = "batch", ["batch"] = new JsonObject { ["steps"] = steps } } };
        var readOnly = batches.All(b => b._commands.Items.All(c => LibSqlCommand.IsReadOnly(c.CommandText)));
        var slot = (await PipelineAsync(connection, requests, readOnly, timeoutSeconds, cancellationToken))[0];
        if (slot?["type"]?.GetValue<string>() == "error")
        {
            var error = slot["error"];
            var failure = ErrorOf(error, "batch failed");
            return batches.Select(_ => ((DbDataReader?)null, (LibSqlException?)failure)).ToList();
        }
        var result = slot!["response"]!["result"]!;
        var results = result["step_results"]!.AsArray();
        var errors = result["step_errors"]!.AsArray();
        var outcomes = new List<(DbDataReader?, LibSqlException?)>();
        var first = 0;
        foreach (var batch in batches)
        {
            var count = batch._commands.Items.Count;
            var failed = Enumerable.Range(first, count).FirstOrDefault(step => errors[step] is not null, -1);
            outcomes.Add(failed < 0
                ? (new LibSqlDataReader(Enumerable.Range(first, count).Select(step => StatementResult.From(results[step]!)).ToList()), null)
                : (null, ErrorOf(errors[failed], "batch step failed", failed - first)));
            first += count;
        }
        return outcomes;
    }

    private static async Task<IReadOnlyList<(IReadOnlyList<StatementResult>? Results, LibSqlException? Error)>> SendAsync(
        LibSqlConnection connection, IReadOnlyList<LibSqlBatch> batches, int timeoutSeconds, CancellationToken cancellationToken)
    {
        var requests = new JsonArray();
        foreach (var batch in batches)
        {
            requests.Add(new JsonObject { ["type"] = "batch", ["batch"] = new JsonObject { ["steps"] = batch.Steps() } });
        }
        // A read-only batch may be sent again after a dropped answer; a batch that writes never is.
        var readOnly = batches.All(b => b.BeginStatement is null or "" or "BEGIN" && b._commands.Items.All(c => LibSqlCommand.IsReadOnly(c.CommandText)));
        var results = await PipelineAsync(connection, requests, readOnly, timeoutSeconds, cancellationToken);
        var outcomes = new List<(IReadOnlyList<StatementResult>?, LibSqlException?)>();
        for (var i = 0; i < batches.Count; i++)
        {
            var slot = results[i];
            if (slot?["type"]?.GetValue<string>() == "error")
            {
                var error = slot["error"];
                outcomes.Add((null, ErrorOf(error, "batch failed")));
                continue;
            }
            outcomes.Add(batches[i].Parse(slot!["response"]!["result"]!));
        }
        return outcomes;
    }

    private static async Task<JsonArray> PipelineAsync(LibSqlConnection connection, JsonArray requests, bool readOnly, int timeoutSeconds,
        CancellationToken cancellationToken)
    {
        if (connection.Transaction is not null)
        {
            throw new InvalidOperationException("A batch is its own transaction; run it outside an open transaction.");
        }
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (timeoutSeconds > 0)
        {
            timeout.CancelAfter(TimeSpan.FromSeconds(timeoutSeconds));
        }
        try
        {
            return await connection.Client.RunAsync(connection.StreamSettings, requests, mayRetryAfterSend: readOnly, timeout.Token);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested && timeout.IsCancellationRequested)
        {
            throw new LibSqlException("TIMEOUT", $"No answer within {timeoutSeconds} s (Timeout); the batch may or may not have run.", ex);
        }
    }

    /// <summary>A Hrana error object (a failed step or request) as the exception callers see.</summary>
    private static LibSqlException ErrorOf(JsonNode? error, string fallback, int? batchIndex = null) =>
        new(error?["code"]?.GetValue<string>() ?? "SQLITE_ERROR", error?["message"]?.GetValue<string>() ?? fallback) { BatchIndex = batchIndex };

    private static JsonObject StatementOf(LibSqlBatchCommand command)
    {
        var single = new LibSqlCommand { CommandText = command.CommandText };
        foreach (LibSqlParameter parameter in command.Parameters)
        {
            single.Parameters.Add(parameter);
        }
        return single.Statement(wantRows: true);
    }

    /// <summary>The Hrana steps: with a BEGIN, one transaction whose steps run only while the previous ones succeeded.</summary>
    private JsonArray Steps()
    {
        // Without a BEGIN statement the steps run one by one, each in its own implicit transaction (reads that need no
        // snapshot); with one, they are one transaction: each step runs only if the previous one succeeded.
        var transactional = !string.IsNullOrEmpty(BeginStatement);
        var steps = new JsonArray();
        if (transactional)
        {
            steps.Add(new JsonObject { ["stmt"] = Hrana.Statement(BeginStatement!, false) });
        }
        foreach (var command in _commands.Items)
        {
            var step = new JsonObject { ["stmt"] = StatementOf(command) };
            if (transactional)
            {
                step["condition"] = new JsonObject { ["type"] = "ok", ["step"] = steps.Count - 1 };
            }
            steps.Add(step);
        }
        if (transactional)
        {
            var last = steps.Count - 1;
            steps.Add(new JsonObject
            {
                ["condition"] = new JsonObject { ["type"] = "ok", ["step"] = last },
                ["stmt"] = Hrana.Statement("COMMIT", false),
            });
            steps.Add(new JsonObject
            {
                ["condition"] = new JsonObject { ["type"] = "not", ["cond"] = new JsonObject { ["type"] = "ok", ["step"] = last + 1 } },
                ["stmt"] = Hrana.Statement("ROLLBACK", false),
            });
        }
        return steps;
    }

    private (IReadOnlyList<StatementResult>? Results, LibSqlException? Error) Parse(JsonNode result)
    {
        var offset = string.IsNullOrEmpty(BeginStatement) ? 0 : 1;
        var errors = result["step_errors"]!.AsArray();
        for (var step = 0; step < errors.Count; step++)
        {
            if (errors[step] is { } error)
            {
                // With a BEGIN step first, statement i of the batch is step i + 1.
                return (null, ErrorOf(error, "batch step failed", step >= offset && step < offset + _commands.Items.Count ? step - offset : null));
            }
        }
        return (result["step_results"]!.AsArray().Skip(offset).Take(_commands.Items.Count).Select(StatementResult.From).ToList(), null);
    }
}

public sealed class LibSqlBatchCommand : DbBatchCommand
{
    private readonly LibSqlParameterCollection _parameters = new();

    [System.Diagnostics.CodeAnalysis.AllowNull]
    public override string CommandText { get; set; } = "";

    public override System.Data.CommandType CommandType { get; set; } = System.Data.CommandType.Text;

    public override int RecordsAffected => 0;

    protected override DbParameterCollection DbParameterCollection => _parameters;
}

internal sealed class LibSqlBatchCommandCollection : DbBatchCommandCollection
{
    internal List<LibSqlBatchCommand> Items { get; } = [];
    public override int Count => Items.Count;
    public override bool IsReadOnly => false;
    public override void Add(DbBatchCommand item) => Items.Add((LibSqlBatchCommand)item);
    public override void Clear() => Items.Clear();
    public override bool Contains(DbBatchCommand item) => Items.Contains((LibSqlBatchCommand)item);
    public override void CopyTo(DbBatchCommand[] array, int arrayIndex) => Items.CopyTo((LibSqlBatchCommand[])array, arrayIndex);
    public override IEnumerator<DbBatchCommand> GetEnumerator() => Items.GetEnumerator();
    public override int IndexOf(DbBatchCommand item) => Items.IndexOf((LibSqlBatchCommand)item);
    public override void Insert(int index, DbBatchCommand item) => Items.Insert(index, (LibSqlBatchCommand)item);
    public override bool Remove(DbBatchCommand item) => Items.Remove((LibSqlBatchCommand)item);
    public override void RemoveAt(int index) => Items.RemoveAt(index);
    protected override DbBatchCommand GetBatchCommand(int index) => Items[index];
    protected override void SetBatchCommand(int index, DbBatchCommand batchCommand) => Items[index] = (LibSqlBatchCommand)batchCommand;
}
