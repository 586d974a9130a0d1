using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using SqlStudio.Testing;
using Xunit;

namespace SqlStudio.Server.Tests.Web;

/// <summary>Bad input found from outside (issue #13, §4): each is a 400 Problem Details with a code, never a 500.</summary>
public sealed class BadInputTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private static async Task AssertProblem400Async(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.False(string.IsNullOrEmpty(JsonDocument.Parse(body).RootElement.GetProperty("code").GetString()));
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    [Fact]
    public async Task NulInNames_400()
    {
        var api = new AuthClient(fixture.Server);
        await AssertProblem400Async(await api.PostAsync("/api/auth/register", new { email = AuthClient.NewEmail(), password = AuthClient.Password, name = "Ada\0Lovelace" }));
        var user = await SyncClient.NewUserAsync(fixture.Server);
        await AssertProblem400Async(await user.Http.PostAsync("/api/sync/devices", Json("""{"device_id":"d1","name":"lap\u0000top"}""")));
    }

    [Fact]
    public async Task MalformedSyncRequests_400()
    {
        var user = await SyncClient.NewUserAsync(fixture.Server);
        await AssertProblem400Async(await user.Http.GetAsync("/api/sync/changes?types=,,,"));
        await AssertProblem400Async(await user.Http.PostAsync("/api/sync/push", Json("""{"device_id":"d","mutations":[null]}""")));
        // A lone surrogate is that mutation's rejection (the rest of a push goes through; the batch is not retried for ever).
        var surrogate = await user.Http.PostAsync("/api/sync/push",
            Json("""{"device_id":"d","mutations":[{"mutation_id":"m","entity_type":"saved_queries","entity_id":"q","op":"upsert","base_version":0,"updated_at":"2026-11-20T10:00:00Z","data":{"title":"\ud800","sql":"x"}}]}"""));
        Assert.Equal(HttpStatusCode.OK, surrogate.StatusCode);
        Assert.Contains("\"status\":\"rejected\"", await surrogate.Content.ReadAsStringAsync());
        var corrupt = new ByteArrayContent([1, 2, 3, 4, 5, 6, 7, 8]);
        corrupt.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        corrupt.Headers.ContentEncoding.Add("br");
        await AssertProblem400Async(await user.Http.PostAsync("/api/sync/push", corrupt));
    }

    [Fact]
    public async Task RecordTheDatabaseWouldRefuse_IsThatMutationsRejection_TheRestApplies()
    {
        var user = await SyncClient.NewUserAsync(fixture.Server);

        var pushed = await user.PushAsync("d",
            SyncClient.Upsert("saved_queries", "empty-title", 0, "2026-11-20T10:00:00Z", new System.Text.Json.Nodes.JsonObject { ["title"] = "", ["sql"] = "select 1" }),
            SyncClient.Upsert("saved_queries", "good", 0, "2026-11-20T10:00:00Z", new System.Text.Json.Nodes.JsonObject { ["title"] = "fine", ["sql"] = "select 1" }));

        Assert.Equal(SqlStudio.Contracts.MutationStatus.Rejected, pushed.Results[0].Status);
        Assert.Equal(SqlStudio.Contracts.MutationStatus.Applied, pushed.Results[1].Status);
    }
}
