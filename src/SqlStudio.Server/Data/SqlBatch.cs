using System.Collections.Concurrent;
using System.Data.Common;
using System.Reflection;
using Dapper;

namespace SqlStudio.Server.Data;

/// <summary>
/// Statements that go to the database together: one round trip on libSQL (a Hrana batch in one transaction), one local
/// transaction on SQLite. Reads are added with a callback that receives their rows once the batch has run; a write
/// batch may start with a <see cref="Guard"/> that aborts the whole batch when the data it decided on has moved.
/// </summary>
public sealed class SqlBatch
{
    internal sealed record Statement(string Sql, IReadOnlyList<KeyValuePair<string, object?>> Args, Func<DbDataReader, Task>? Read);

    private static readonly ConcurrentDictionary<Type, PropertyInfo[]> Properties = new();

    internal List<Statement> Statements { get; } = [];

    public int Count => Statements.Count;

    /// <summary>A statement whose result is not needed.</summary>
    public SqlBatch Execute(string sql, object? args = null)
    {
        Statements.Add(new Statement(sql, ArgsOf(args), null));
        return this;
    }

    /// <summary>A query whose rows (mapped by Dapper, snake_case to PascalCase) go to <paramref name="into"/>.</summary>
    public SqlBatch Query<T>(string sql, object? args, Action<List<T>> into)
    {
        Statements.Add(new Statement(sql, ArgsOf(args), async reader =>
        {
            var rows = new List<T>();
            var parse = ScalarParser<T>() ?? reader.GetRowParser<T>();
            while (await reader.ReadAsync())
            {
                rows.Add(parse(reader));
            }
            into(rows);
        }));
        return this;
    }

    /// <summary>One column of a simple type (Dapper's row parser maps objects, not a lone string or number).</summary>
    private static Func<DbDataReader, T>? ScalarParser<T>()
    {
        var type = Nullable.GetUnderlyingType(typeof(T)) ?? typeof(T);
        if (type != typeof(string) && !type.IsPrimitive && type != typeof(decimal))
        {
            return null;
        }
        return reader => reader.IsDBNull(0)
            ? default!
            : (T)Convert.ChangeType(reader.GetValue(0), type, System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>A query read by hand.</summary>
    public SqlBatch Read(string sql, object? args, Func<DbDataReader, Task> read)
    {
        Statements.Add(new Statement(sql, ArgsOf(args), read));
        return this;
    }

    /// <summary>
    /// Aborts the batch (nothing of it is written) unless <paramref name="condition"/>, a <c>SELECT</c> of one boolean
    /// column, yields no row or a true one. Put it first: it runs under the write lock, before any write.
    /// </summary>
    public SqlBatch Guard(string condition, object? args = null) =>
        Execute($"INSERT INTO write_guard (ok) {condition}", args);

    /// <summary>The message SQLite answers with when a <see cref="Guard"/> failed (migration 0005).</summary>
    public const string GuardMessage = "write_guard: the data changed since it was read";

    /// <summary>Where a failed statement's index in its batch is kept on the exception (<see cref="Exception.Data"/>).</summary>
    public const string FailedIndexKey = "sqlstudio.batch_index";

    /// <summary>The index of the statement a batch failed on, when known.</summary>
    public static int? FailedIndex(Exception exception) => exception.Data[FailedIndexKey] as int?;

    internal static bool IsGuardFailure(Exception exception) =>
        exception.Message.Contains("write_guard", StringComparison.Ordinal);

    private static IReadOnlyList<KeyValuePair<string, object?>> ArgsOf(object? args) => args switch
    {
        null => [],
        IEnumerable<KeyValuePair<string, object?>> pairs => pairs.ToList(),
        _ => Properties.GetOrAdd(args.GetType(), t => t.GetProperties(BindingFlags.Public | BindingFlags.Instance))
            .Select(p => new KeyValuePair<string, object?>(p.Name, p.GetValue(args))).ToList(),
    };
}

/// <summary>A write batch whose guard failed: another writer moved the data first. Read again and decide again.</summary>
public sealed class WriteConflictException(Exception inner) : Exception("The data changed between the read and the write.", inner);

/// <summary>
/// Counts database round trips: for the <c>sqlstudio_db_round_trips_total</c> metric, and per request (the scope a
/// request runs in), so tests can hold every endpoint to its budget.
/// </summary>
public static class DbRoundTrips
{
    private static readonly AsyncLocal<StrongBox> Scope = new();

    public sealed class StrongBox
    {
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public void Add() => Interlocked.Increment(ref _count);
    }

    /// <summary>Starts counting for the current async flow (a request); what it calls counts into the box returned.</summary>
    public static StrongBox Begin()
    {
        var box = new StrongBox();
        Scope.Value = box;
        return box;
    }

    public static void Record() => Scope.Value?.Add();

    /// <summary>The current flow's counter, for work done elsewhere on its behalf (a shared write group).</summary>
    public static StrongBox? Current => Scope.Value;
}
