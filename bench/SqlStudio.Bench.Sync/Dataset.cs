using System.Text.Json.Nodes;

namespace SqlStudio.Bench.Sync;

/// <summary>10,000 records of mixed types and realistic sizes (400 B – 4 KB of JSON each), the same every run.</summary>
public static class Dataset
{
    private static readonly (string Type, double Share)[] Mix =
    [
        ("connections", 0.04), ("query_tabs", 0.15), ("query_history", 0.40), ("saved_queries", 0.20),
        ("ai_sessions", 0.03), ("ai_messages", 0.13), ("ui_preferences", 0.05),
    ];

    public static List<(string Type, string Id, JsonObject Data)> Create(int count, int seed = 42)
    {
        var random = new Random(seed);
        var records = new List<(string, string, JsonObject)>(count);
        var sessions = new List<string>();
        foreach (var (type, share) in Mix)
        {
            var n = type == "ui_preferences" ? (int)(count * share) : (int)Math.Round(count * share);
            for (var i = 0; i < n && records.Count < count; i++)
            {
                var id = type == "ui_preferences" ? $"pref.{i}" : $"{type}-{i:D6}";
                var size = random.Next(300, 3800);
                JsonObject data = type switch
                {
                    "connections" => new() { ["name"] = $"db {i}", ["driver"] = "postgres", ["host"] = $"db{i}.internal", ["port"] = 5432,
                        ["database_name"] = "app", ["username"] = "app", ["options"] = new JsonObject { ["note"] = Text(random, size) } },
                    "query_tabs" => new() { ["title"] = $"Tab {i}", ["content"] = Sql(random, size), ["position"] = i % 40 },
                    "query_history" => new() { ["query_text"] = Sql(random, size), ["executed_at"] = "2026-11-20T10:00:00.000Z", ["duration_ms"] = random.Next(1, 5000), ["row_count"] = random.Next(0, 100000) },
                    "saved_queries" => new() { ["title"] = $"Report {i}", ["description"] = Text(random, size / 3), ["sql"] = Sql(random, size * 2 / 3), ["tags"] = "finance,monthly" },
                    "ai_sessions" => new() { ["title"] = $"Chat {i}: {Text(random, 180)}", ["model"] = "gpt-5", ["connection_id"] = $"connections-{i % 400:D6}" },
                    "ai_messages" => new() { ["session_id"] = sessions[random.Next(sessions.Count)], ["role"] = i % 2 == 0 ? "user" : "assistant", ["content"] = Text(random, size) },
                    _ => new() { ["key"] = id, ["value"] = new JsonObject { ["setting"] = Text(random, Math.Min(size, 1500)) } },
                };
                if (type == "ai_sessions")
                {
                    sessions.Add(id);
                }
                records.Add((type, id, data));
            }
        }
        while (records.Count < count)
        {
            var i = records.Count;
            records.Add(("query_history", $"query_history-x{i:D6}", new JsonObject { ["query_text"] = Sql(random, 800), ["executed_at"] = "2026-11-20T10:00:00.000Z" }));
        }
        return records;
    }

    private static readonly string[] Words =
        ["select", "from", "where", "join", "orders", "customers", "total", "group", "by", "sum", "count", "invoice", "date", "status",
         "the", "query", "returns", "each", "month", "revenue", "region", "and", "filter", "active", "users", "created", "last", "week"];

    private static string Text(Random random, int bytes)
    {
        var builder = new System.Text.StringBuilder(bytes + 16);
        while (builder.Length < bytes)
        {
            builder.Append(Words[random.Next(Words.Length)]).Append(' ');
        }
        return builder.ToString(0, bytes);
    }

    private static string Sql(Random random, int bytes) => "SELECT " + Text(random, Math.Max(10, bytes - 7));
}
