using System.Collections;
using System.Data;
using System.Data.Common;
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;

namespace SqlStudio.LibSql;

/// <summary>
/// One SQL statement (or, without parameters, a script of several: sent as a Hrana <c>sequence</c>). Parameters are
/// positional (<c>?</c>) or named (<c>:name</c>, <c>@name</c>, <c>$name</c>); a parameter named without its prefix
/// gets the one the SQL uses.
/// </summary>
public sealed partial class LibSqlCommand : DbCommand
{
    private readonly LibSqlParameterCollection _parameters = new();

    [AllowNull]
    public override string CommandText { get; set; } = "";

    public override int CommandTimeout { get; set; } = 30;

    public override CommandType CommandType { get; set; } = CommandType.Text;

    public override bool DesignTimeVisible { get; set; }

    public override UpdateRowSource UpdatedRowSource { get; set; }

    protected override DbConnection? DbConnection { get; set; }

    protected override DbParameterCollection DbParameterCollection => _parameters;

    protected override DbTransaction? DbTransaction { get; set; }

    private LibSqlConnection Connection_ => DbConnection as LibSqlConnection ?? throw new InvalidOperationException("The command has no libSQL connection.");

    public override void Cancel()
    {
    }

    public override void Prepare()
    {
    }

    protected override DbParameter CreateDbParameter() => new LibSqlParameter();

    public override int ExecuteNonQuery() => ExecuteNonQueryAsync(CancellationToken.None).GetAwaiter().GetResult();

    public override object? ExecuteScalar() => ExecuteScalarAsync(CancellationToken.None).GetAwaiter().GetResult();

    protected override DbDataReader ExecuteDbDataReader(CommandBehavior behavior) =>
        ExecuteDbDataReaderAsync(behavior, CancellationToken.None).GetAwaiter().GetResult();

    public override async Task<int> ExecuteNonQueryAsync(CancellationToken cancellationToken)
    {
        var result = await RunAsync(wantRows: false, cancellationToken);
        return (int)result.AffectedRows;
    }

    public override async Task<object?> ExecuteScalarAsync(CancellationToken cancellationToken)
    {
        var result = await RunAsync(wantRows: true, cancellationToken);
        return result.Rows.Count > 0 && result.Rows[0].Length > 0 ? result.Rows[0][0] : null;
    }

    protected override async Task<DbDataReader> ExecuteDbDataReaderAsync(CommandBehavior behavior, CancellationToken cancellationToken) =>
        new LibSqlDataReader(await RunAsync(wantRows: true, cancellationToken));

    private async Task<StatementResult> RunAsync(bool wantRows, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (CommandTimeout > 0)
        {
            timeout.CancelAfter(TimeSpan.FromSeconds(CommandTimeout));
        }
        try
        {
            return await RunCoreAsync(wantRows, timeout.Token);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested && timeout.IsCancellationRequested)
        {
            // The request may have reached the server: whether it ran is unknown, so it is not sent again.
            throw new LibSqlException("TIMEOUT", $"No answer within {CommandTimeout} s (CommandTimeout); the statement may or may not have run.", ex);
        }
    }

    private async Task<StatementResult> RunCoreAsync(bool wantRows, CancellationToken ct)
    {
        var connection = Connection_;
        var watch = Stopwatch.StartNew();
        var script = _parameters.Count == 0 && IsScript(CommandText);
        var request = script ? Hrana.Sequence(CommandText) : Hrana.Execute(Statement(wantRows));
        JsonArray results;
        if (connection.Transaction is { } transaction)
        {
            results = await transaction.RunAsync(new JsonArray(request), ct);
        }
        else
        {
            results = await connection.Client.RunAsync(connection.StreamSettings, new JsonArray(request), mayRetryAfterSend: IsReadOnly(CommandText), ct);
        }
        ThrowOnError(results);
        var answer = results[^1];
        var result = script ? StatementResult.Empty : StatementResult.From(answer?["response"]?["result"]);
        if (connection.Logger.IsEnabled(LogLevel.Debug))
        {
            connection.Logger.LogDebug("libsql {Sql} -> {Rows} rows, {Affected} changed in {Ms:F1} ms{Args}", CommandText, result.Rows.Count, result.AffectedRows,
                watch.Elapsed.TotalMilliseconds, connection.LogArguments ? " args " + string.Join(", ", _parameters.Items.Select(p => p.Value)) : "");
        }
        return result;
    }

    internal JsonObject Statement(bool wantRows)
    {
        var stmt = Hrana.Statement(CommandText, wantRows);
        var positional = _parameters.Items.Where(p => string.IsNullOrEmpty(p.ParameterName)).ToList();
        var named = _parameters.Items.Where(p => !string.IsNullOrEmpty(p.ParameterName)).ToList();
        if (positional.Count > 0)
        {
            stmt["args"] = new JsonArray(positional.Select(p => (JsonNode)Hrana.Value(p.Value)).ToArray());
        }
        if (named.Count > 0)
        {
            var used = NamePattern().Matches(CommandText).Select(m => m.Value).ToHashSet(StringComparer.Ordinal);
            var args = new JsonArray();
            foreach (var parameter in named)
            {
                var name = parameter.ParameterName;
                if (name[0] is not (':' or '@' or '$'))
                {
                    var match = new[] { "@", ":", "$" }.Select(prefix => prefix + name).FirstOrDefault(used.Contains);
                    if (match is null)
                    {
                        // Not used by the statement (Dapper passes every member of an object): SQLite would refuse it.
                        continue;
                    }
                    name = match;
                }
                args.Add(new JsonObject { ["name"] = name, ["value"] = Hrana.Value(parameter.Value) });
            }
            stmt["named_args"] = args;
        }
        return stmt;
    }

    internal static void ThrowOnError(JsonArray results)
    {
        foreach (var result in results)
        {
            if (result?["type"]?.GetValue<string>() == "error")
            {
                var error = result["error"];
                throw new LibSqlException(error?["code"]?.GetValue<string>() ?? "SQLITE_ERROR", error?["message"]?.GetValue<string>() ?? "statement failed");
            }
        }
    }

    /// <summary>More than one statement (a migration script): semicolons outside quotes with more SQL after them.</summary>
    internal static bool IsScript(string sql)
    {
        var inSingle = false;
        var inDouble = false;
        for (var i = 0; i < sql.Length; i++)
        {
            var c = sql[i];
            if (c == '\'' && !inDouble)
            {
                inSingle = !inSingle;
            }
            else if (c == '"' && !inSingle)
            {
                inDouble = !inDouble;
            }
            else if (c == '-' && !inSingle && !inDouble && i + 1 < sql.Length && sql[i + 1] == '-')
            {
                while (i < sql.Length && sql[i] != '\n')
                {
                    i++;
                }
            }
            else if (c == ';' && !inSingle && !inDouble && StripComments(sql[(i + 1)..]).Trim().Length > 0)
            {
                return true;
            }
        }
        return false;
    }

    private static string StripComments(string sql) => CommentPattern().Replace(sql, "");

    /// <summary>Statements that only read may be sent again after a dropped answer; anything else never is.</summary>
    internal static bool IsReadOnly(string sql) => ReadOnlyPattern().IsMatch(sql);

    [GeneratedRegex(@"[:@$][A-Za-z_][A-Za-z0-9_]*")]
    private static partial Regex NamePattern();

    [GeneratedRegex(@"--[^\n]*")]
    private static partial Regex CommentPattern();

    [GeneratedRegex(@"^\s*(SELECT|WITH\s+(?!.*\b(INSERT|UPDATE|DELETE)\b)|PRAGMA\s+\w+\s*(\(|$|;))", RegexOptions.IgnoreCase | RegexOptions.Singleline)]
    private static partial Regex ReadOnlyPattern();
}

public sealed class LibSqlParameter : DbParameter
{
    public LibSqlParameter()
    {
    }

    public LibSqlParameter(string? name, object? value)
    {
        ParameterName = name ?? "";
        Value = value;
    }

    public override DbType DbType { get; set; }
    public override ParameterDirection Direction { get; set; } = ParameterDirection.Input;
    public override bool IsNullable { get; set; }

    [AllowNull]
    public override string ParameterName { get; set; } = "";

    public override int Size { get; set; }

    [AllowNull]
    public override string SourceColumn { get; set; } = "";

    public override bool SourceColumnNullMapping { get; set; }
    public override object? Value { get; set; }

    public override void ResetDbType() => DbType = DbType.Object;
}

public sealed class LibSqlParameterCollection : DbParameterCollection
{
    internal List<LibSqlParameter> Items { get; } = [];

    public override int Count => Items.Count;
    public override object SyncRoot => Items;

    public override int Add(object value)
    {
        Items.Add((LibSqlParameter)value);
        return Items.Count - 1;
    }

    public override void AddRange(Array values)
    {
        foreach (var value in values)
        {
            Add(value!);
        }
    }

    public override void Clear() => Items.Clear();
    public override bool Contains(object value) => Items.Contains((LibSqlParameter)value);
    public override bool Contains(string value) => IndexOf(value) >= 0;
    public override void CopyTo(Array array, int index) => ((ICollection)Items).CopyTo(array, index);
    public override IEnumerator GetEnumerator() => Items.GetEnumerator();
    public override int IndexOf(object value) => Items.IndexOf((LibSqlParameter)value);
    public override int IndexOf(string parameterName) => Items.FindIndex(p => p.ParameterName == parameterName);
    public override void Insert(int index, object value) => Items.Insert(index, (LibSqlParameter)value);
    public override void Remove(object value) => Items.Remove((LibSqlParameter)value);
    public override void RemoveAt(int index) => Items.RemoveAt(index);
    public override void RemoveAt(string parameterName) => Items.RemoveAt(IndexOf(parameterName));
    protected override DbParameter GetParameter(int index) => Items[index];
    protected override DbParameter GetParameter(string parameterName) => Items[IndexOf(parameterName)];
    protected override void SetParameter(int index, DbParameter value) => Items[index] = (LibSqlParameter)value;
    protected override void SetParameter(string parameterName, DbParameter value) => Items[IndexOf(parameterName)] = (LibSqlParameter)value;
}
