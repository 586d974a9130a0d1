using System.Collections;
using System.Data.Common;
using System.Globalization;

namespace SqlStudio.LibSql;

/// <summary>The rows of one statement, already received (Hrana returns a statement's rows in one answer).</summary>
public sealed class LibSqlDataReader : DbDataReader
{
    private readonly StatementResult _result;
    private int _row = -1;
    private bool _closed;

    internal LibSqlDataReader(StatementResult result) => _result = result;

    public override int FieldCount => _result.Columns.Count;
    public override bool HasRows => _result.Rows.Count > 0;
    public override bool IsClosed => _closed;
    public override int RecordsAffected => (int)_result.AffectedRows;
    public override int Depth => 0;

    public override object this[int ordinal] => GetValue(ordinal);
    public override object this[string name] => GetValue(GetOrdinal(name));

    public override bool Read() => ++_row < _result.Rows.Count;

    public override Task<bool> ReadAsync(CancellationToken cancellationToken) => Task.FromResult(Read());

    public override bool NextResult() => false;

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
/// Several statements as one atomic pipeline: <c>BEGIN</c>, each statement conditioned on the previous step,
/// <c>COMMIT</c>, and <c>ROLLBACK</c> when any step failed.
/// </summary>
public sealed class LibSqlBatch : DbBatch
{
    private readonly LibSqlBatchCommandCollection _commands = new();

    public override int Timeout { get; set; } = 30;

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

    public override object? ExecuteScalar() => throw new NotSupportedException("Use ExecuteNonQuery or one command per statement.");

    protected override DbDataReader ExecuteDbDataReader(System.Data.CommandBehavior behavior) => throw new NotSupportedException("Use ExecuteNonQuery.");

    protected override Task<DbDataReader> ExecuteDbDataReaderAsync(System.Data.CommandBehavior behavior, CancellationToken cancellationToken) =>
        throw new NotSupportedException("Use ExecuteNonQueryAsync.");

    public override Task<object?> ExecuteScalarAsync(CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("Use ExecuteNonQueryAsync.");

    public override async Task<int> ExecuteNonQueryAsync(CancellationToken cancellationToken = default)
    {
        var connection = DbConnection as LibSqlConnection ?? throw new InvalidOperationException("The batch has no libSQL connection.");
        var steps = new System.Text.Json.Nodes.JsonArray { new System.Text.Json.Nodes.JsonObject { ["stmt"] = Hrana.Statement("BEGIN", false) } };
        foreach (var command in _commands.Items)
        {
            var single = new LibSqlCommand { CommandText = command.CommandText };
            foreach (LibSqlParameter parameter in command.Parameters)
            {
                single.Parameters.Add(parameter);
            }
            steps.Add(new System.Text.Json.Nodes.JsonObject
            {
                ["condition"] = new System.Text.Json.Nodes.JsonObject { ["type"] = "ok", ["step"] = steps.Count - 1 },
                ["stmt"] = single.Statement(wantRows: false),
            });
        }
        var last = steps.Count - 1;
        steps.Add(new System.Text.Json.Nodes.JsonObject
        {
            ["condition"] = new System.Text.Json.Nodes.JsonObject { ["type"] = "ok", ["step"] = last },
            ["stmt"] = Hrana.Statement("COMMIT", false),
        });
        steps.Add(new System.Text.Json.Nodes.JsonObject
        {
            ["condition"] = new System.Text.Json.Nodes.JsonObject { ["type"] = "not", ["cond"] = new System.Text.Json.Nodes.JsonObject { ["type"] = "ok", ["step"] = last + 1 } },
            ["stmt"] = Hrana.Statement("ROLLBACK", false),
        });
        var requests = new System.Text.Json.Nodes.JsonArray(connection.StreamSettings.Select(s => (System.Text.Json.Nodes.JsonNode)Hrana.Execute(Hrana.Statement(s, false))).ToArray());
        requests.Add(new System.Text.Json.Nodes.JsonObject { ["type"] = "batch", ["batch"] = new System.Text.Json.Nodes.JsonObject { ["steps"] = steps } });
        requests.Add(Hrana.Close());
        var response = await connection.Client.PipelineAsync(null, null, requests, mayRetryAfterSend: false, cancellationToken);
        LibSqlCommand.ThrowOnError(response.Results);
        var result = response.Results[^2]!["response"]!["result"]!;
        var errors = result["step_errors"]!.AsArray();
        if (errors.FirstOrDefault(e => e is not null) is { } error)
        {
            throw new LibSqlException(error["code"]?.GetValue<string>() ?? "SQLITE_ERROR", error["message"]?.GetValue<string>() ?? "batch step failed");
        }
        return result["step_results"]!.AsArray().Skip(1).Take(_commands.Items.Count).Sum(r => (int)(r?["affected_row_count"]?.GetValue<long>() ?? 0));
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
