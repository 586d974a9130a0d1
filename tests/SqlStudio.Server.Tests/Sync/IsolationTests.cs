using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using SqlStudio.Contracts;
using SqlStudio.Testing;
using static SqlStudio.Testing.SyncClient;

namespace SqlStudio.Server.Tests.Sync;

/// <summary>For every Sync endpoint, one user can never read, change, resolve or import into another's data.</summary>
public sealed class IsolationTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private const string T0 = "2026-11-20T10:00:00.000Z";

    [Fact]
    public async Task OtherUser_CannotReadChangeResolveUndoOrRevoke()
    {
        var alice = await NewUserAsync(fixture.Server);
        var mallory = await NewUserAsync(fixture.Server);
        await alice.PushAsync("alice-laptop",
            Upsert("query_tabs", "shared-id", 0, T0, new JsonObject { ["title"] = "Alice's secret tab", ["content"] = "select salary" }));
        await alice.PushAsync("alice-laptop", Upsert("query_tabs", "shared-id", 1, "2026-11-20T10:05:00Z", new JsonObject { ["title"] = "A2" }));
        var conflictId = (await alice.PushAsync("alice-phone",
            Upsert("query_tabs", "shared-id", 1, "2026-11-20T10:06:00Z", new JsonObject { ["title"] = "A3" }))).Results[0].ConflictId!;
        await alice.Http.PostAsJsonAsync("/api/sync/import", new JsonObject
        {
            ["import_id"] = "alice-import", ["on_duplicate"] = "skip",
            ["records"] = new JsonObject { ["saved_queries"] = new JsonArray(new JsonObject { ["id"] = "q", ["title"] = "t", ["sql"] = "select 1" }) },
        });

        // Reading: nothing of Alice's shows up anywhere for Mallory.
        var (malloryRecords, _) = await mallory.PullAllAsync();
        Assert.Empty(malloryRecords);
        Assert.All((await mallory.GetAsync<HeadResponse>("/api/sync/head")).Counts.Values, count => Assert.Equal(0, count));
        Assert.Empty(await mallory.GetAsync<List<ConflictInfo>>("/api/sync/conflicts?status=all"));
        Assert.Empty(await mallory.GetAsync<List<DeviceInfo>>("/api/sync/devices"));
        Assert.Empty(await mallory.GetAsync<List<ActivityInfo>>("/api/sync/activity"));
        Assert.All((await mallory.GetAsync<IntegrityResponse>("/api/sync/integrity")).Types.Values, t => Assert.Equal(0, t.Count));

        // Changing: the same id is Mallory's own record, not Alice's.
        var write = await mallory.PushAsync("m", Upsert("query_tabs", "shared-id", 3, T0, new JsonObject { ["title"] = "pwned" }));
        Assert.Equal(MutationStatus.Rejected, write.Results[0].Status);
        await mallory.PushAsync("m", Upsert("query_tabs", "shared-id", 0, T0, new JsonObject { ["title"] = "pwned" }));
        await mallory.PushAsync("m", Delete("query_tabs", "shared-id", 1, T0));
        var mallorysImport = await mallory.Http.PostAsJsonAsync("/api/sync/import", new JsonObject
        {
            ["import_id"] = "alice-import", ["on_duplicate"] = "update",
            ["records"] = new JsonObject { ["saved_queries"] = new JsonArray(new JsonObject { ["id"] = "q", ["title"] = "pwned", ["sql"] = "x" }) },
        });
        Assert.Equal(HttpStatusCode.OK, mallorysImport.StatusCode);

        // Resolving, undoing, revoking: Alice's ids are not found for Mallory.
        Assert.Equal(HttpStatusCode.NotFound, (await mallory.Http.PostAsJsonAsync($"/api/sync/conflicts/{conflictId}/resolve", new { choice = "local" })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await mallory.Http.DeleteAsync("/api/sync/devices/alice-laptop")).StatusCode);
        await mallory.Http.DeleteAsync("/api/sync/import/alice-import");

        // Alice's data is exactly as she left it.
        var (aliceRecords, _) = await alice.PullAllAsync();
        Assert.Equal("A3", aliceRecords[("query_tabs", "shared-id")]["title"]!.GetValue<string>());
        Assert.False(aliceRecords[("query_tabs", "shared-id")]["deleted"]!.GetValue<bool>());
        Assert.Equal("t", aliceRecords[("saved_queries", "q")]["title"]!.GetValue<string>());
        Assert.False(aliceRecords[("saved_queries", "q")]["deleted"]!.GetValue<bool>());
        Assert.Single(await alice.GetAsync<List<ConflictInfo>>("/api/sync/conflicts"));
        Assert.Null((await alice.GetAsync<List<DeviceInfo>>("/api/sync/devices")).Single(d => d.DeviceId == "alice-laptop").RevokedAt);
    }
}
