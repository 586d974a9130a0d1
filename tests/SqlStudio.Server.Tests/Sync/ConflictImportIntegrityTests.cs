using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using SqlStudio.Contracts;
using SqlStudio.Server.Sync;
using SqlStudio.Testing;
using static SqlStudio.Testing.SyncClient;

namespace SqlStudio.Server.Tests.Sync;

public sealed class ConflictImportIntegrityTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private const string T0 = "2026-11-20T10:00:00.000Z";
    private const string T1 = "2026-11-20T10:01:00.000Z";
    private const string T2 = "2026-11-20T10:02:00.000Z";

    private static async Task<(SyncClient User, string ConflictId)> ConflictAsync(TestServer server)
    {
        var user = await NewUserAsync(server);
        await user.PushAsync("a", Upsert("query_tabs", "t", 0, T0, new JsonObject { ["title"] = "base", ["content"] = "select 1" }));
        await user.PushAsync("a", Upsert("query_tabs", "t", 1, T1, new JsonObject { ["title"] = "A's title" }));
        var result = await user.PushAsync("b", Upsert("query_tabs", "t", 1, T2, new JsonObject { ["title"] = "B's title" }));
        return (user, result.Results[0].ConflictId!);
    }

    [Theory]
    [InlineData("local", "B's title")]
    [InlineData("remote", "A's title")]
    public async Task Resolve_Choice_BecomesNewVersionEveryDevicePulls(string choice, string expected)
    {
        var (user, conflictId) = await ConflictAsync(fixture.Server);
        var before = await user.GetAsync<HeadResponse>("/api/sync/head");

        var response = await user.Http.PostAsJsonAsync($"/api/sync/conflicts/{conflictId}/resolve", new { choice });
        var record = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        var pulled = await user.ChangesAsync(before.Cursor);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(expected, record["title"]!.GetValue<string>());
        Assert.Equal(4, record["version"]!.GetValue<long>());
        Assert.Equal(expected, Assert.Single(pulled.Changes["query_tabs"])["title"]!.GetValue<string>());
        Assert.Empty(await user.GetAsync<List<ConflictInfo>>("/api/sync/conflicts"));
        var all = await user.GetAsync<List<ConflictInfo>>("/api/sync/conflicts?status=all");
        Assert.Equal(choice, Assert.Single(all).Resolution);
    }

    [Fact]
    public async Task Resolve_Custom_TakesGivenData()
    {
        var (user, conflictId) = await ConflictAsync(fixture.Server);

        var response = await user.Http.PostAsJsonAsync($"/api/sync/conflicts/{conflictId}/resolve",
            new { choice = "custom", data = new { title = "A and B" } });

        Assert.Equal("A and B", (await response.Content.ReadFromJsonAsync<JsonObject>())!["title"]!.GetValue<string>());
    }

    [Fact]
    public async Task Resolve_Twice_Returns409_Unknown_Returns404_BadChoice_Returns400()
    {
        var (user, conflictId) = await ConflictAsync(fixture.Server);
        await user.Http.PostAsJsonAsync($"/api/sync/conflicts/{conflictId}/resolve", new { choice = "local" });

        var again = await user.Http.PostAsJsonAsync($"/api/sync/conflicts/{conflictId}/resolve", new { choice = "remote" });
        var unknown = await user.Http.PostAsJsonAsync("/api/sync/conflicts/nope/resolve", new { choice = "remote" });
        var bad = await user.Http.PostAsJsonAsync($"/api/sync/conflicts/{conflictId}/resolve", new { choice = "both" });
        var badStatus = await user.Http.GetAsync("/api/sync/conflicts?status=maybe");

        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, badStatus.StatusCode);
    }

    [Fact]
    public async Task Import_SkipAndUpdateDuplicates_ErrorsDoNotStopBatch_UndoRestoresExactly()
    {
        var user = await NewUserAsync(fixture.Server);
        await user.PushAsync("a",
            Upsert("saved_queries", "q-existing", 0, T0, new JsonObject { ["title"] = "Mine", ["sql"] = "select 'mine'" }),
            Upsert("query_tabs", "tab-existing", 0, T0, new JsonObject { ["title"] = "Keep" }));
        var before = await user.GetAsync<IntegrityResponse>("/api/sync/integrity");
        var (beforeRecords, _) = await user.PullAllAsync();

        var first = await ImportAsync(user, "imp-1", "update", new JsonObject
        {
            ["saved_queries"] = new JsonArray(
                new JsonObject { ["id"] = "q-existing", ["title"] = "From export", ["sql"] = "select 'export'" },
                new JsonObject { ["id"] = "q-new", ["title"] = "New", ["sql"] = "select 2", ["tags"] = "a,b" },
                new JsonObject { ["id"] = "q-bad", ["title"] = "No SQL" }),
            ["ai_sessions"] = new JsonArray(new JsonObject { ["id"] = "s1", ["title"] = "Chat" }),
            ["ai_messages"] = new JsonArray(
                new JsonObject { ["id"] = "m1", ["session_id"] = "s1", ["role"] = "user", ["content"] = "hi" },
                new JsonObject { ["id"] = "m2", ["session_id"] = "missing", ["role"] = "user", ["content"] = "?" }),
            ["connections"] = new JsonArray(new JsonObject { ["id"] = "c1", ["name"] = "db", ["driver"] = "pg", ["password"] = "x" }),
        });
        var second = await ImportAsync(user, "imp-1", "skip", new JsonObject
        {
            ["query_tabs"] = new JsonArray(new JsonObject { ["id"] = "tab-existing", ["title"] = "Overwritten?" }),
        });

        Assert.Equal((3, 1, 0), (first.Inserted, first.Updated, first.Skipped));
        Assert.Equal(["missing_field", "missing_parent", "secret_field"], first.Errors.Select(e => e.Code).Order());
        Assert.Equal(1, second.Skipped);
        var (afterImport, _) = await user.PullAllAsync();
        Assert.Equal("From export", afterImport[("saved_queries", "q-existing")]["title"]!.GetValue<string>());
        Assert.Equal("Keep", afterImport[("query_tabs", "tab-existing")]["title"]!.GetValue<string>());

        var undo = await user.Http.DeleteAsync("/api/sync/import/imp-1");
        var undone = (await undo.Content.ReadFromJsonAsync<UndoImportResponse>(AuthClient.Json))!;
        var (afterUndo, _) = await user.PullAllAsync();

        Assert.Equal(HttpStatusCode.OK, undo.StatusCode);
        Assert.Equal(3, undone.Removed);
        Assert.Equal(1, undone.Restored);
        Assert.Equal(before.Types.ToDictionary(t => t.Key, t => t.Value.Count),
            (await user.GetAsync<IntegrityResponse>("/api/sync/integrity")).Types.ToDictionary(t => t.Key, t => t.Value.Count));
        foreach (var ((type, id), record) in beforeRecords)
        {
            var now = afterUndo[(type, id)];
            foreach (var field in EntityCatalogue.Find(type)!.Fields)
            {
                Assert.Equal(record[field.Name]?.ToJsonString(), now[field.Name]?.ToJsonString());
            }
        }
        Assert.All(afterUndo.Where(r => !beforeRecords.ContainsKey(r.Key)), r => Assert.True(r.Value["deleted"]!.GetValue<bool>()));
        Assert.Equal(HttpStatusCode.Conflict, (await user.Http.DeleteAsync("/api/sync/import/imp-1")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await user.Http.DeleteAsync("/api/sync/import/never")).StatusCode);
    }

    [Fact]
    public async Task Import_InBatches_IsOneRunInTheActivity_RefusedRecordsCounted_UndoShownAsUndo()
    {
        var user = await NewUserAsync(fixture.Server);
        foreach (var batch in Enumerable.Range(0, 3))
        {
            await ImportAsync(user, "imp-runs", "skip", new JsonObject
            {
                ["saved_queries"] = new JsonArray(
                    new JsonObject { ["id"] = $"q-{batch}-a", ["title"] = "A", ["sql"] = "select 1" },
                    new JsonObject { ["id"] = $"q-{batch}-b", ["title"] = "B", ["sql"] = "select 2" }),
            });
        }
        await ImportAsync(user, "imp-runs", "skip", new JsonObject
        {
            ["saved_queries"] = new JsonArray(new JsonObject { ["id"] = "q-no-sql", ["title"] = "No SQL" }),
        });
        await user.Http.DeleteAsync("/api/sync/import/imp-runs");

        var lines = await user.GetAsync<List<ActivityInfo>>("/api/sync/activity");
        var runs = ActivityStore.Runs(lines, TimeSpan.FromMinutes(2));

        Assert.Equal(5, lines.Count);
        Assert.Equal(["undo_import", "import"], runs.Select(r => r.Kind));
        Assert.Equal((6L, 1L), (runs[1].Sent, runs[1].Refused));
        Assert.Equal(["missing_field"], runs[1].Errors);
        Assert.Equal(6, runs[0].Sent);
        Assert.All(lines, l => Assert.Equal("imp-runs", l.RunId));
    }

    [Fact]
    public async Task Import_MoreThan50Records_Returns400()
    {
        var user = await NewUserAsync(fixture.Server);
        var tabs = new JsonArray(Enumerable.Range(0, 51).Select(i => (JsonNode)new JsonObject { ["id"] = $"t{i}", ["title"] = "x" }).ToArray());

        var response = await user.Http.PostAsJsonAsync("/api/sync/import", new JsonObject
        {
            ["import_id"] = "big", ["on_duplicate"] = "skip", ["records"] = new JsonObject { ["query_tabs"] = tabs },
        });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Integrity_ChecksumMatchesWhatAClientComputesFromPulledRecords()
    {
        var user = await NewUserAsync(fixture.Server);
        await user.PushAsync("a",
            Upsert("query_tabs", "b", 0, T0, new JsonObject { ["title"] = "x" }),
            Upsert("query_tabs", "a", 0, T0, new JsonObject { ["title"] = "y" }),
            Upsert("query_tabs", "c", 0, T0, new JsonObject { ["title"] = "z" }));
        await user.PushAsync("a", Upsert("query_tabs", "a", 1, T1, new JsonObject { ["title"] = "y2" }), Delete("query_tabs", "c", 1, T1));

        var summary = await user.GetAsync<IntegrityResponse>("/api/sync/integrity");
        var (records, _) = await user.PullAllAsync();
        var live = records.Where(r => r.Key.Type == "query_tabs" && !r.Value["deleted"]!.GetValue<bool>())
            .Select(r => (r.Key.Id, r.Value["version"]!.GetValue<long>()));

        Assert.Equal(2, summary.Types["query_tabs"].Count);
        Assert.Equal(IntegrityService.Checksum(live), summary.Types["query_tabs"].Checksum);
        Assert.NotEqual(summary.Types["query_tabs"].Checksum, summary.Types["saved_queries"].Checksum);
    }

    private static async Task<ImportResponse> ImportAsync(SyncClient user, string importId, string onDuplicate, JsonObject records)
    {
        var response = await user.Http.PostAsJsonAsync("/api/sync/import", new JsonObject
        {
            ["import_id"] = importId, ["on_duplicate"] = onDuplicate, ["records"] = records,
        });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<ImportResponse>(AuthClient.Json))!;
    }
}
