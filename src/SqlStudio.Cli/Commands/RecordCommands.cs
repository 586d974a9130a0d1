using System.CommandLine;
using System.Text.Json.Nodes;
using Spectre.Console;
using SqlStudio.Sync;

namespace SqlStudio.Cli.Commands;

/// <summary>queries, connections, tabs, history, prefs, search: the local store, usable offline.</summary>
public static class RecordCommands
{
    private sealed record FieldOption(string Option, string Field, bool IsNumber = false, string? Description = null);

    private sealed record Kind(string Name, string Type, string Noun, FieldOption[] Fields, string[] Columns, string[] Required);

    private static readonly Kind[] Kinds =
    [
        new("queries", "saved_queries", "saved query",
            [new("--title", "title"), new("--sql", "sql"), new("--description", "description"), new("--tags", "tags"), new("--folder", "folder")],
            ["title", "sql"], ["title", "sql"]),
        new("connections", "connections", "connection",
            [new("--name", "name"), new("--driver", "driver"), new("--host", "host"), new("--port", "port", IsNumber: true),
             new("--database", "database_name"), new("--username", "username"), new("--ssl-mode", "ssl_mode"),
             new("--password", "password", Description: "Kept on this device only; never synced.")],
            ["name", "host", "port", "database_name", "username"], ["name"]),
        new("tabs", "query_tabs", "tab",
            [new("--title", "title"), new("--content", "content"), new("--position", "position", IsNumber: true)],
            ["title", "position"], ["title"]),
        new("history", "query_history", "history entry",
            [new("--sql", "query_text"), new("--duration", "duration_ms", IsNumber: true), new("--rows", "row_count", IsNumber: true)],
            ["query_text", "executed_at"], ["query_text"]),
    ];

    public static IEnumerable<Command> Create(CliContext cli)
    {
        foreach (var kind in Kinds)
        {
            yield return RecordCommand(cli, kind);
        }
        yield return Preferences(cli);

        var text = new Argument<string>("text") { Description = "Words to find." };
        var json = new Option<bool>("--json") { Description = "Machine-readable output." };
        var search = new Command("search", "Full-text search over saved queries and history on this device.") { text, json };
        search.SetAction((result, _) => cli.RunAsync(async () =>
        {
            await using var profile = await cli.OpenAsync(result);
            var found = await profile.Store.SearchAsync(result.GetValue(text)!);
            if (result.GetValue(json))
            {
                return await cli.JsonAsync(found.Select(ToJson));
            }
            await cli.WriteTableAsync(["type", "id", "text"], found.Select(r =>
            {
                var shown = r.Data["sql"]?.ToString() ?? r.Data["query_text"]?.ToString() ?? "";
                return new[] { r.Type, r.Id, shown.Length > 80 ? shown[..80] + "…" : shown };
            }));
            return 0;
        }));
        yield return search;
    }

    private static Command RecordCommand(CliContext cli, Kind kind)
    {
        var command = new Command(kind.Name, $"Your {kind.Noun} records on this device.");
        var json = new Option<bool>("--json") { Description = "Machine-readable output." };
        var list = new Command("list", $"List {kind.Name}.") { json };
        list.SetAction((result, _) => cli.RunAsync(async () =>
        {
            await using var profile = await cli.OpenAsync(result);
            var records = await profile.Store.ListAsync(kind.Type);
            if (result.GetValue(json))
            {
                return await cli.JsonAsync(records.Select(ToJson));
            }
            await cli.WriteTableAsync(["id", .. kind.Columns, "sync"], records.Select(r => (string[])
                [r.Id, .. kind.Columns.Select(c => Short(r.Data[c]?.ToString() ?? "")), r.Pending ? "pending" : r.Version > 0 ? $"v{r.Version}" : "local"]));
            return 0;
        }));
        command.Subcommands.Add(list);

        var options = kind.Fields.Select(f => f.IsNumber
            ? (Option)new Option<long?>(f.Option) { Description = f.Description ?? f.Field }
            : new Option<string?>(f.Option) { Description = f.Description ?? f.Field }).ToList();
        var add = new Command("add", $"Add a {kind.Noun}; prints its id.");
        options.ForEach(add.Options.Add);
        add.SetAction((result, _) => cli.RunAsync(async () =>
        {
            var data = Values(result, kind, options);
            if (kind.Required.FirstOrDefault(r => !data.ContainsKey(r)) is { } missing)
            {
                return await cli.FailAsync($"--{kind.Fields.First(f => f.Field == missing).Option.TrimStart('-')} is required.", 2);
            }
            if (kind.Type == "connections")
            {
                data.TryAdd("driver", "postgres");
            }
            if (kind.Type == "query_history")
            {
                data["executed_at"] = cli.Time.GetUtcNow().ToString("O");
            }
            await using var profile = await cli.OpenAsync(result);
            var id = Guid.CreateVersion7().ToString();
            await profile.Manager.PushChangeAsync(kind.Type, id, data);
            await cli.Output.WriteLineAsync(id);
            return 0;
        }));
        command.Subcommands.Add(add);

        var id = new Argument<string>("id") { Description = $"The {kind.Noun}'s id." };
        var edit = new Command("edit", $"Change fields of a {kind.Noun}.") { id };
        options.ForEach(edit.Options.Add);
        edit.SetAction((result, _) => cli.RunAsync(async () =>
        {
            await using var profile = await cli.OpenAsync(result);
            if (await profile.Store.GetAsync(kind.Type, result.GetValue(id)!) is not { Deleted: false })
            {
                return await cli.FailAsync($"No {kind.Noun} with id {result.GetValue(id)} on this device.", 2);
            }
            var data = Values(result, kind, options);
            if (data.Count == 0)
            {
                return await cli.FailAsync("Nothing to change: pass at least one field option.", 2);
            }
            await profile.Manager.PushChangeAsync(kind.Type, result.GetValue(id)!, data);
            await cli.Output.WriteLineAsync("Changed.");
            return 0;
        }));
        command.Subcommands.Add(edit);

        var rm = new Command("rm", $"Delete a {kind.Noun}.") { id };
        rm.SetAction((result, _) => cli.RunAsync(async () =>
        {
            await using var profile = await cli.OpenAsync(result);
            if (await profile.Store.GetAsync(kind.Type, result.GetValue(id)!) is not { Deleted: false })
            {
                return await cli.FailAsync($"No {kind.Noun} with id {result.GetValue(id)} on this device.", 2);
            }
            await profile.Manager.DeleteAsync(kind.Type, result.GetValue(id)!);
            await cli.Output.WriteLineAsync("Deleted.");
            return 0;
        }));
        command.Subcommands.Add(rm);
        return command;
    }

    private static Command Preferences(CliContext cli)
    {
        var command = new Command("prefs", "Your synced preferences (key = value).");
        var json = new Option<bool>("--json") { Description = "Machine-readable output." };
        var list = new Command("list", "List preferences.") { json };
        list.SetAction((result, _) => cli.RunAsync(async () =>
        {
            await using var profile = await cli.OpenAsync(result);
            var records = await profile.Store.ListAsync("ui_preferences");
            if (result.GetValue(json))
            {
                return await cli.JsonAsync(records.ToDictionary(r => r.Id, r => r.Data["value"]));
            }
            foreach (var r in records)
            {
                await cli.Output.WriteLineAsync($"{r.Id} = {r.Data["value"]?.ToJsonString()}");
            }
            return 0;
        }));
        command.Subcommands.Add(list);
        var key = new Argument<string>("key");
        var value = new Argument<string>("value") { Description = "A JSON value (true, 14, \"dark\") or plain text." };
        foreach (var name in new[] { "add", "edit" })
        {
            var set = new Command(name, name == "add" ? "Add a preference." : "Change a preference.") { key, value };
            set.SetAction((result, _) => cli.RunAsync(async () =>
            {
                JsonNode parsed;
                try
                {
                    parsed = JsonNode.Parse(result.GetValue(value)!) ?? JsonValue.Create(result.GetValue(value))!;
                }
                catch (System.Text.Json.JsonException)
                {
                    parsed = JsonValue.Create(result.GetValue(value))!;
                }
                await using var profile = await cli.OpenAsync(result);
                await profile.Manager.PushChangeAsync("ui_preferences", result.GetValue(key)!, new JsonObject { ["key"] = result.GetValue(key), ["value"] = parsed });
                await cli.Output.WriteLineAsync("Saved.");
                return 0;
            }));
            command.Subcommands.Add(set);
        }
        var rm = new Command("rm", "Delete a preference.") { key };
        rm.SetAction((result, _) => cli.RunAsync(async () =>
        {
            await using var profile = await cli.OpenAsync(result);
            await profile.Manager.DeleteAsync("ui_preferences", result.GetValue(key)!);
            await cli.Output.WriteLineAsync("Deleted.");
            return 0;
        }));
        command.Subcommands.Add(rm);
        return command;
    }

    private static JsonObject Values(ParseResult result, Kind kind, List<Option> options)
    {
        var data = new JsonObject();
        for (var i = 0; i < kind.Fields.Length; i++)
        {
            var field = kind.Fields[i];
            switch (options[i])
            {
                case Option<long?> number when result.GetValue(number) is { } n:
                    data[field.Field] = n;
                    break;
                case Option<string?> text when result.GetValue(text) is { } s:
                    data[field.Field] = s;
                    break;
            }
        }
        return data;
    }

    private static JsonObject ToJson(LocalRecord r)
    {
        var json = (JsonObject)r.Data.DeepClone();
        json["id"] = r.Id;
        json["version"] = r.Version;
        json["pending"] = r.Pending;
        return json;
    }

    private static string Short(string text) => text.Length > 60 ? text[..60] + "…" : text;
}
