using System.Net.Http.Json;
using System.Text.Json.Nodes;
using SqlStudio.Testing;
using Xunit;
using Xunit.Abstractions;
using static SqlStudio.Testing.SyncClient;

namespace SqlStudio.Server.Tests.Data;

/// <summary>
/// Every request costs a fixed handful of database round trips whatever its size (docs/operations.md, "A database far
/// away: round trips"). Counted by the libSQL provider and reported per request in <c>X-Db-Round-Trips</c>; on the embedded file
/// nothing crosses a network, so every count there is zero.
/// </summary>
public sealed class RoundTripBudgetTests(ServerFixture fixture, ITestOutputHelper output) : IClassFixture<ServerFixture>
{
    private static int Trips(HttpResponseMessage response) => int.Parse(response.Headers.GetValues("X-Db-Round-Trips").Single());

    private void AssertBudget(string what, HttpResponseMessage response, int budget)
    {
        var trips = Trips(response);
        output.WriteLine($"{what}: {trips} round trips (budget {budget})");
        Assert.True(response.IsSuccessStatusCode, $"{what} answered {(int)response.StatusCode}");
        if (TestServer.UseLibSql)
        {
            Assert.InRange(trips, 1, budget);
        }
        else
        {
            Assert.Equal(0, trips);
        }
    }

    private static IEnumerable<JsonObject> Edits(int count, string prefix, long baseVersion = 0) =>
        Enumerable.Range(0, count).Select(i => Upsert("saved_queries", $"{prefix}-{i}", baseVersion, "2026-11-20T10:00:00Z",
            new JsonObject { ["title"] = $"q{i}", ["sql"] = "select 1", ["tags"] = "a,b" }));

    [Fact]
    public async Task Push_AnySize_AtMostThreeRoundTrips()
    {
        var user = await NewUserAsync(fixture.Server);
        AssertBudget("push of 1 new record", await user.PushRawAsync("d1", Edits(1, "one")), 3);
        AssertBudget("push of 1 edit", await user.PushRawAsync("d1", Edits(1, "one", baseVersion: 1)), 3);
        AssertBudget("push of 100 new records", await user.PushRawAsync("d1", Edits(100, "hundred")), 3);
        AssertBudget("push of 1000 new records", await user.PushRawAsync("d1", Edits(1000, "thousand")), 3);
        var chat = Upsert("ai_sessions", "chat", 0, "2026-11-20T10:00:00Z", new JsonObject { ["title"] = "c" });
        var messages = Enumerable.Range(0, 50).Select(i => Upsert("ai_messages", $"m{i}", 0, "2026-11-20T10:00:00Z",
            new JsonObject { ["session_id"] = "chat", ["role"] = "user", ["content"] = "hi" }));
        AssertBudget("push of a chat and 50 messages", await user.PushRawAsync("d1", messages.Prepend(chat)), 3);
        AssertBudget("push deleting the chat (cascading to its messages)", await user.PushRawAsync("d1", [Delete("ai_sessions", "chat", 1, "2026-11-20T11:00:00Z")]), 3);
    }

    [Fact]
    public async Task Import_TenThousandRecords_ThreeRoundTripsPerBatch_UndoInThree()
    {
        var user = await NewUserAsync(fixture.Server);
        const int records = 10_000, perCall = 50;
        await user.Http.GetAsync("/api/sync/head"); // the session read and cached, as for any request after a device's first
        var total = 0;
        for (var start = 0; start < records; start += perCall)
        {
            var batch = new JsonObject
            {
                ["saved_queries"] = new JsonArray(Enumerable.Range(start, perCall)
                    .Select(i => (JsonNode)new JsonObject { ["id"] = $"imp-{i}", ["title"] = $"q{i}", ["sql"] = "select 1" }).ToArray()),
            };
            var response = await user.Http.PostAsJsonAsync("/api/sync/import", new JsonObject { ["import_id"] = "big", ["on_duplicate"] = "skip", ["records"] = batch });
            Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
            var trips = Trips(response);
            // The import's read, the rows' read, one guarded write.
            Assert.True(!TestServer.UseLibSql || trips <= 3, $"import batch {start / perCall} took {trips} round trips");
            total += trips;
        }
        output.WriteLine($"import of {records:N0} records in {records / perCall} calls: {total} round trips");
        var integrity = await user.GetAsync<SqlStudio.Contracts.IntegrityResponse>("/api/sync/integrity");
        Assert.Equal(records, integrity.Types["saved_queries"].Count);

        AssertBudget($"undo of an import of {records:N0} records", await user.Http.DeleteAsync("/api/sync/import/big"), 3);
    }

    [Fact]
    public async Task Resolution_WithinBudget()
    {
        var user = await NewUserAsync(fixture.Server);
        await user.PushAsync("a", Upsert("query_tabs", "t", 0, "2026-11-20T10:00:00Z", new JsonObject { ["title"] = "base" }));
        await user.PushAsync("a", Upsert("query_tabs", "t", 1, "2026-11-20T10:01:00Z", new JsonObject { ["title"] = "A" }));
        var conflictId = (await user.PushAsync("b", Upsert("query_tabs", "t", 1, "2026-11-20T10:02:00Z", new JsonObject { ["title"] = "B" }))).Results[0].ConflictId!;

        AssertBudget("resolve a conflict", await user.Http.PostAsJsonAsync($"/api/sync/conflicts/{conflictId}/resolve", new { choice = "remote" }), 4);
    }

    [Fact]
    public async Task PullPageAndHead_WithinBudget()
    {
        var user = await NewUserAsync(fixture.Server);
        await user.PushRawAsync("d1", Edits(300, "p"));
        AssertBudget("one pull page", await user.Http.GetAsync("/api/sync/changes?cursor=0&limit=100"), 2);
        AssertBudget("head", await user.Http.GetAsync("/api/sync/head"), 1);
    }

    [Fact]
    public async Task AuthenticatedRequest_SessionCached_NoRoundTripForAuthentication()
    {
        var user = await NewUserAsync(fixture.Server);
        await user.Http.GetAsync("/api/sync/head");
        // The session, the account and its subscription are cached now: head costs its own one round trip, nothing more.
        AssertBudget("head (session cached)", await user.Http.GetAsync("/api/sync/head"), 1);
    }

    [Fact]
    public async Task RegisterLoginRefresh_WithinBudget()
    {
        var api = new AuthClient(fixture.Server);
        var email = AuthClient.NewEmail();
        AssertBudget("register", await api.PostAsync("/api/auth/register", new { email, password = AuthClient.Password, name = "R" }), 3);
        var login = await api.PostAsync("/api/auth/login", new { email, password = AuthClient.Password });
        AssertBudget("login", login, 4);
        var tokens = await api.ReadAsync<SqlStudio.Contracts.TokenResponse>(login);
        AssertBudget("refresh", await api.PostAsync("/api/auth/refresh", new { refresh_token = tokens.RefreshToken }), 3);
        var taken = await api.PostAsync("/api/auth/register", new { email, password = AuthClient.Password, name = "R" });
        Assert.Equal(System.Net.HttpStatusCode.Conflict, taken.StatusCode);
    }
}
