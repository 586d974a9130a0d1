using System.Globalization;
using System.Text.Json.Nodes;

namespace SqlStudio.LibSql;

/// <summary>Hrana values and statements in their JSON form (HRANA_3_SPEC.md, "Values", "Statements").</summary>
internal static class Hrana
{
    public static JsonObject Value(object? value) => value switch
    {
        null or DBNull => new JsonObject { ["type"] = "null" },
        bool b => Integer(b ? 1 : 0),
        byte or sbyte or short or ushort or int or uint or long => Integer(Convert.ToInt64(value, CultureInfo.InvariantCulture)),
        ulong u => Integer(checked((long)u)),
        float or double => new JsonObject { ["type"] = "float", ["value"] = Convert.ToDouble(value, CultureInfo.InvariantCulture) },
        decimal d => new JsonObject { ["type"] = "float", ["value"] = (double)d },
        byte[] bytes => new JsonObject { ["type"] = "blob", ["base64"] = Convert.ToBase64String(bytes) },
        DateTime dt => Text(dt.ToString("yyyy-MM-dd HH:mm:ss.FFFFFFF", CultureInfo.InvariantCulture)),
        DateTimeOffset dto => Text(dto.ToString("yyyy-MM-dd HH:mm:ss.FFFFFFFzzz", CultureInfo.InvariantCulture)),
        Guid g => Text(g.ToString()),
        Enum e => Integer(Convert.ToInt64(e, CultureInfo.InvariantCulture)),
        _ => Text(Convert.ToString(value, CultureInfo.InvariantCulture) ?? ""),
    };

    private static JsonObject Integer(long value) => new() { ["type"] = "integer", ["value"] = value.ToString(CultureInfo.InvariantCulture) };

    private static JsonObject Text(string value) => new() { ["type"] = "text", ["value"] = value };

    public static object Decode(JsonNode? value)
    {
        var type = value?["type"]?.GetValue<string>();
        return type switch
        {
            "integer" => long.Parse(value!["value"]!.GetValue<string>(), CultureInfo.InvariantCulture),
            "float" => value!["value"]!.GetValue<double>(),
            "text" => value!["value"]!.GetValue<string>(),
            "blob" => Convert.FromBase64String(value!["base64"]?.GetValue<string>() ?? ""),
            _ => DBNull.Value,
        };
    }

    public static JsonObject Execute(JsonObject stmt) => new() { ["type"] = "execute", ["stmt"] = stmt };

    public static JsonObject Statement(string sql, bool wantRows = true) => new() { ["sql"] = sql, ["want_rows"] = wantRows };

    public static JsonObject Close() => new() { ["type"] = "close" };

    public static JsonObject Sequence(string sql) => new() { ["type"] = "sequence", ["sql"] = sql };
}

/// <summary>The result of one statement.</summary>
internal sealed record StatementResult(IReadOnlyList<(string Name, string? DeclType)> Columns, IReadOnlyList<object[]> Rows, long AffectedRows, long? LastInsertRowId)
{
    public static readonly StatementResult Empty = new([], [], 0, null);

    public static StatementResult From(JsonNode? result)
    {
        if (result is null)
        {
            return Empty;
        }
        var columns = result["cols"]?.AsArray().Select(c => (c?["name"]?.GetValue<string>() ?? "", c?["decltype"]?.GetValue<string>())).ToList() ?? [];
        var rows = result["rows"]?.AsArray().Select(r => r!.AsArray().Select(Hrana.Decode).ToArray()).ToList() ?? [];
        var lastId = result["last_insert_rowid"]?.GetValue<string>();
        return new StatementResult(columns, rows, result["affected_row_count"]?.GetValue<long>() ?? 0,
            lastId is null ? null : long.Parse(lastId, CultureInfo.InvariantCulture));
    }
}
