using System.Text.Json.Nodes;
using SqlStudio.Testing;

namespace SqlStudio.Sync.Tests;

public sealed class ImportTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task Import_ExportFile_InBatchesWithProgress_ThenUndo()
    {
        await using var devices = await Devices.StartAsync(fixture.Server);
        var device = await devices.OpenAsync("laptop");
        var other = await devices.OpenAsync("desktop");
        await device.Manager.PushChangeAsync("saved_queries", "q-existing", new JsonObject { ["title"] = "Mine", ["sql"] = "select 'mine'" });
        await device.Manager.SyncNowAsync();
        var file = Path.Combine(devices.Home, "export.json");
        var export = new JsonObject
        {
            ["format"] = "sqlstudio-export", ["version"] = 1,
            ["connections"] = new JsonArray(new JsonObject { ["id"] = "c1", ["name"] = "prod", ["driver"] = "postgres", ["password"] = "local-only-pw" }),
            ["saved_queries"] = new JsonArray(Enumerable.Range(0, 120).Select(i => (JsonNode)new JsonObject
                { ["id"] = $"q{i}", ["title"] = $"Query {i}", ["sql"] = $"select {i}" }).Append(new JsonObject { ["id"] = "q-existing", ["title"] = "From export", ["sql"] = "x" })
                .Append(new JsonObject { ["id"] = "q-bad", ["title"] = "no sql" }).ToArray()),
            ["ai_sessions"] = new JsonArray(new JsonObject { ["id"] = "s1", ["title"] = "Chat" }),
            ["ai_messages"] = new JsonArray(new JsonObject { ["id"] = "m1", ["session_id"] = "s1", ["role"] = "user", ["content"] = "hi" }),
        };
        await File.WriteAllTextAsync(file, export.ToJsonString());
        var reports = new List<SyncProgress>();

        var report = await device.Manager.ImportAsync(file, "skip", new Recorder(reports));
        await other.Manager.SyncNowAsync();

        Assert.Equal(123, report.Inserted);
        Assert.Equal(1, report.Skipped);
        Assert.Equal("missing_field", Assert.Single(report.Errors).Code);
        Assert.Equal("Mine", (await device.Store.GetAsync("saved_queries", "q-existing"))!.Data["title"]!.GetValue<string>());
        Assert.Equal(121, (await other.Store.ListAsync("saved_queries")).Count);
        Assert.Equal("local-only-pw", (await device.Store.SecretsAsync("connections", "c1"))["password"]);
        Assert.Contains(reports, r => r.Phase == "import" && r.Total == 125 && r.Done == 125);
        Assert.True(reports.Count(r => r.Phase == "import") >= 3, "one report per batch of 50");

        var undo = await device.Manager.UndoImportAsync(report.ImportId);
        await other.Manager.SyncNowAsync();

        Assert.Equal(123, undo.Removed);
        Assert.Equal(["q-existing"], (await other.Store.ListAsync("saved_queries")).Select(r => r.Id));
        Assert.Empty(await device.Store.ListAsync("ai_messages"));
    }

    /// <summary>Records progress synchronously (Progress&lt;T&gt; would post to a context).</summary>
    private sealed class Recorder(List<SyncProgress> reports) : IProgress<SyncProgress>
    {
        public void Report(SyncProgress value) => reports.Add(value);
    }
}
