using System.Globalization;
using System.Text.Json.Nodes;
using SqlStudio.Sync;

namespace SqlStudio.Desktop.Workspace;

public sealed record HistoryEntry(string Id, string Sql, string? ConnectionId, DateTimeOffset ExecutedAt, long? DurationMs, long? Rows, string Status, string? Error);

/// <summary>Every run (text, connection, duration, rows, success or error, when), searchable and reopened in a tab.</summary>
public sealed class History(WorkspaceStore workspace, TimeProvider time)
{
    public async Task RecordAsync(QueryRun run)
    {
        var status = run.Cancelled ? "cancelled" : run.Error is null ? "success" : "error";
        var rows = run.Sets.Count > 0 ? run.RowsRead : run.RowsAffected;
        await workspace.PutAsync("query_history", WorkspaceStore.NewId("h"), new JsonObject
        {
            ["query_text"] = run.Sql.Length > 200_000 ? run.Sql[..200_000] : run.Sql,
            ["connection_id"] = run.ConnectionId,
            ["executed_at"] = time.GetUtcNow().ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture),
            ["duration_ms"] = (long)run.Elapsed.TotalMilliseconds,
            ["row_count"] = Math.Max(-1, rows),
            ["status"] = status,
            ["error_message"] = run.Error?.Message is { Length: > 60_000 } longMessage ? longMessage[..60_000] : run.Error?.Message,
        });
    }

    /// <summary>
    /// The newest runs, or those whose text matches <paramref name="search"/> (full-text), optionally of one connection and
    /// since a day.
    /// </summary>
    public async Task<IReadOnlyList<HistoryEntry>> FindAsync(string? search, string? connectionId = null, DateTimeOffset? since = null, int limit = 200)
    {
        var store = await workspace.StoreAsync();
        var records = string.IsNullOrWhiteSpace(search)
            ? await store.LatestAsync("query_history", connectionId is null && since is null ? limit : limit * 10)
            : await store.SearchAsync(search, limit * 10, "query_history");
        return records.Select(From)
            .Where(e => connectionId is null || e.ConnectionId == connectionId)
            .Where(e => since is null || e.ExecutedAt >= since)
            .OrderByDescending(e => e.ExecutedAt)
            .Take(limit)
            .ToList();
    }

    private static HistoryEntry From(LocalRecord r) => new(
        r.Id, r.Text("query_text") ?? "", r.Text("connection_id"),
        DateTimeOffset.TryParse(r.Text("executed_at"), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) ? at : DateTimeOffset.MinValue,
        r.Number("duration_ms"), r.Number("row_count"), r.Text("status") ?? "success", r.Text("error_message"));
}

public sealed record SavedQuery(string Id, string Title, string Description, string Sql, string Tags, string? Folder, string? ConnectionId);

/// <summary>Saved queries: save from a tab (title, description, tags, folder), search, open, edit, delete.</summary>
public sealed class SavedQueries(WorkspaceStore workspace)
{
    public async Task<IReadOnlyList<SavedQuery>> FindAsync(string? search)
    {
        if (string.IsNullOrWhiteSpace(search))
        {
            return (await workspace.ListAsync("saved_queries")).Select(From).OrderBy(q => q.Folder ?? "").ThenBy(q => q.Title, StringComparer.CurrentCultureIgnoreCase).ToList();
        }
        var store = await workspace.StoreAsync();
        var found = (await store.SearchAsync(search, 200, "saved_queries")).Select(From).ToList();
        // Prefix-friendly: a title that merely starts with the words is found too.
        foreach (var query in (await workspace.ListAsync("saved_queries")).Select(From))
        {
            if (!found.Any(f => f.Id == query.Id) && query.Title.Contains(search.Trim(), StringComparison.CurrentCultureIgnoreCase))
            {
                found.Add(query);
            }
        }
        return found;
    }

    public async Task<SavedQuery> SaveAsync(SavedQuery query)
    {
        await workspace.PutAsync("saved_queries", query.Id, new JsonObject
        {
            ["title"] = query.Title, ["description"] = query.Description, ["sql"] = query.Sql, ["tags"] = query.Tags,
            ["folder"] = string.IsNullOrWhiteSpace(query.Folder) ? null : query.Folder, ["connection_id"] = query.ConnectionId,
        });
        return query;
    }

    public Task DeleteAsync(string id) => workspace.DeleteAsync("saved_queries", id);

    private static SavedQuery From(LocalRecord r) => new(r.Id, r.Text("title") ?? "", r.Text("description") ?? "", r.Text("sql") ?? "",
        r.Text("tags") ?? "", r.Text("folder"), r.Text("connection_id"));
}

public sealed record QueryTab(string Id, string Title, string Content, string? ConnectionId, int Position);

/// <summary>Editor tabs: new, rename, reorder, close; their text survives a restart (and syncs, debounced by the SDK).</summary>
public sealed class QueryTabs(WorkspaceStore workspace)
{
    public async Task<IReadOnlyList<QueryTab>> ListAsync() =>
        (await workspace.ListAsync("query_tabs")).Select(From).OrderBy(t => t.Position).ThenBy(t => t.Id, StringComparer.Ordinal).ToList();

    public async Task<QueryTab> NewAsync(string? title = null, string content = "", string? connectionId = null)
    {
        var tabs = await ListAsync();
        var tab = new QueryTab(WorkspaceStore.NewId("tab"), title ?? NextTitle(tabs), content, connectionId,
            tabs.Count == 0 ? 0 : tabs.Max(t => t.Position) + 1);
        await SaveAsync(tab);
        return tab;
    }

    public Task SaveAsync(QueryTab tab) => workspace.PutAsync("query_tabs", tab.Id, new JsonObject
    {
        ["title"] = tab.Title, ["content"] = tab.Content, ["connection_id"] = tab.ConnectionId, ["position"] = tab.Position,
    });

    // Each change writes only its own field: a rename never carries a text the editor has not handed over yet.
    public Task SetContentAsync(string id, string content) => workspace.PutAsync("query_tabs", id, new JsonObject { ["content"] = content });

    public Task RenameAsync(string id, string title) => workspace.PutAsync("query_tabs", id, new JsonObject { ["title"] = title });

    public Task SetConnectionAsync(string id, string? connectionId) => workspace.PutAsync("query_tabs", id, new JsonObject { ["connection_id"] = connectionId });

    public Task CloseAsync(string id) => workspace.DeleteAsync("query_tabs", id);

    /// <summary>Moves a tab one place left or right.</summary>
    public async Task MoveAsync(string id, int by)
    {
        var tabs = (await ListAsync()).ToList();
        var index = tabs.FindIndex(t => t.Id == id);
        var target = index + by;
        if (index < 0 || target < 0 || target >= tabs.Count)
        {
            return;
        }
        (tabs[index], tabs[target]) = (tabs[target], tabs[index]);
        for (var i = 0; i < tabs.Count; i++)
        {
            if (tabs[i].Position != i)
            {
                await workspace.PutAsync("query_tabs", tabs[i].Id, new JsonObject { ["position"] = i });
            }
        }
    }

    private static string NextTitle(IReadOnlyList<QueryTab> tabs)
    {
        for (var n = tabs.Count + 1; ; n++)
        {
            var title = $"Query {n}";
            if (tabs.All(t => t.Title != title))
            {
                return title;
            }
        }
    }

    private static QueryTab From(LocalRecord r) =>
        new(r.Id, r.Text("title") ?? "Query", r.Text("content") ?? "", r.Text("connection_id"), (int)(r.Number("position") ?? 0));
}
