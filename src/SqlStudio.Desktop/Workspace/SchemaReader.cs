using System.Data.Common;
using Dapper;

namespace SqlStudio.Desktop.Workspace;

public sealed record SchemaColumn(string Name, string Type);

public sealed record SchemaTable(string Schema, string Name, bool IsView, IReadOnlyList<SchemaColumn> Columns);

/// <summary>Per connection, the schemas, tables, views and columns with their types, read on demand.</summary>
public sealed class SchemaReader(Connections connections)
{
    public async Task<IReadOnlyList<SchemaTable>> ReadAsync(ConnectionDetails connection, CancellationToken ct)
    {
        await using var db = await connections.OpenAsync(connection, ct);
        var rows = connection.Driver switch
        {
            Drivers.Sqlite => await SqliteAsync(db),
            Drivers.PostgreSql => (await db.QueryAsync<Row>(new CommandDefinition(
                """
                SELECT c.table_schema AS "Schema", c.table_name AS "Table", (t.table_type = 'VIEW') AS "IsView", c.column_name AS "Column",
                       c.data_type AS "Type"
                FROM information_schema.columns c
                JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
                WHERE c.table_schema NOT IN ('pg_catalog', 'information_schema') AND c.table_schema NOT LIKE 'pg_toast%'
                ORDER BY c.table_schema, c.table_name, c.ordinal_position
                """, cancellationToken: ct))).ToList(),
            _ => (await db.QueryAsync<Row>(new CommandDefinition(
                """
                SELECT c.TABLE_SCHEMA AS `Schema`, c.TABLE_NAME AS `Table`, (t.TABLE_TYPE = 'VIEW') AS `IsView`, c.COLUMN_NAME AS `Column`,
                       c.COLUMN_TYPE AS `Type`
                FROM information_schema.COLUMNS c
                JOIN information_schema.TABLES t ON t.TABLE_SCHEMA = c.TABLE_SCHEMA AND t.TABLE_NAME = c.TABLE_NAME
                WHERE c.TABLE_SCHEMA NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys')
                ORDER BY c.TABLE_SCHEMA, c.TABLE_NAME, c.ORDINAL_POSITION
                """, cancellationToken: ct))).ToList(),
        };
        return rows.GroupBy(r => (r.Schema, r.Table))
            .Select(g => new SchemaTable(g.Key.Schema, g.Key.Table, g.First().View, g.Select(r => new SchemaColumn(r.Column, r.Type)).ToList()))
            .ToList();
    }

    /// <summary>The names the editor completes: tables (qualified outside the default schema) and their columns.</summary>
    public static Dictionary<string, string[]> Completion(IReadOnlyList<SchemaTable> tables, string driver)
    {
        var names = new Dictionary<string, string[]>(StringComparer.Ordinal);
        foreach (var table in tables)
        {
            var plain = driver switch
            {
                Drivers.PostgreSql => table.Schema == "public",
                Drivers.Sqlite => table.Schema == "main",
                _ => true,
            };
            names[plain ? table.Name : $"{table.Schema}.{table.Name}"] = table.Columns.Select(c => c.Name).ToArray();
        }
        return names;
    }

    private static async Task<List<Row>> SqliteAsync(DbConnection db)
    {
        var tables = (await db.QueryAsync<(string Name, string Type)>(
            "SELECT name, type FROM sqlite_schema WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%' ORDER BY name")).ToList();
        var rows = new List<Row>();
        foreach (var (name, type) in tables)
        {
            foreach (var column in await db.QueryAsync<(string Name, string Type)>("SELECT name, type FROM pragma_table_info(@name)", new { name }))
            {
                rows.Add(new Row("main", name, type == "view", column.Name, column.Type));
            }
        }
        return rows;
    }

    private sealed class Row
    {
        public Row()
        {
        }

        public Row(string schema, string table, bool isView, string column, string type) =>
            (Schema, Table, IsView, Column, Type) = (schema, table, isView, column, type);

        public string Schema { get; set; } = "";
        public string Table { get; set; } = "";
        public object? IsView { get; set; }
        public string Column { get; set; } = "";
        public string Type { get; set; } = "";

        public bool View => IsView is not null && Convert.ToBoolean(IsView, System.Globalization.CultureInfo.InvariantCulture);
    }
}
