using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using SqlStudio.Contracts;
using SqlStudio.Testing;
using static SqlStudio.Testing.SyncClient;

namespace SqlStudio.Server.Tests.Sync;

/// <summary>
/// A resolution goes through the push's write path (#24): every rule a push meets holds for it too, and a refused
/// resolution writes nothing and leaves the conflict open.
/// </summary>
public sealed class ResolutionRulesTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private const string T0 = "2026-11-20T10:00:00.000Z";
    private const string T1 = "2026-11-20T10:01:00.000Z";
    private const string T2 = "2026-11-20T10:02:00.000Z";
    private const string T3 = "2026-11-20T10:03:00.000Z";

    /// <summary>
    /// Two chats, a message in the first; device a deletes the message, device b (with an older edit) brings it back: a
    /// conflict on the message, which stays deleted until someone decides — a resolution that revives it meets the rules.
    /// </summary>
    private static async Task<(SyncClient User, string ConflictId)> MessageConflictAsync(TestServer server)
    {
        var user = await NewUserAsync(server);
        await user.PushAsync("a",
            Upsert("ai_sessions", "s1", 0, T0, new JsonObject { ["title"] = "First chat" }),
            Upsert("ai_sessions", "s2", 0, T0, new JsonObject { ["title"] = "Second chat" }),
            Upsert("ai_messages", "m1", 0, T0, new JsonObject { ["session_id"] = "s1", ["role"] = "user", ["content"] = "hello" }));
        await user.PushAsync("a", Delete("ai_messages", "m1", 1, T1));
        var result = await user.PushAsync("b", Upsert("ai_messages", "m1", 1, "2026-11-20T10:00:30.000Z",
            new JsonObject { ["session_id"] = "s1", ["role"] = "user", ["content"] = "hello again" }));
        return (user, Assert.Single(result.Results).ConflictId ?? throw new InvalidOperationException($"no conflict: {result.Results[0].Status}"));
    }

    private static async Task<(HttpStatusCode Status, string? Code)> ResolveAsync(SyncClient user, string conflictId, object body)
    {
        var response = await user.Http.PostAsJsonAsync($"/api/sync/conflicts/{conflictId}/resolve", body);
        var problem = response.IsSuccessStatusCode ? null : await response.Content.ReadFromJsonAsync<JsonObject>();
        return (response.StatusCode, problem?["code"]?.GetValue<string>());
    }

    private static async Task AssertStillOpenAsync(SyncClient user, string conflictId) =>
        Assert.Contains(await user.GetAsync<List<ConflictInfo>>("/api/sync/conflicts"), c => c.ConflictId == conflictId);

    [Fact]
    public async Task CustomResolution_MovingAMessageToAnotherChat_IsRefusedAsOnAPush()
    {
        var (user, conflictId) = await MessageConflictAsync(fixture.Server);
        var (before, _) = await user.PullAllAsync();

        var (status, code) = await ResolveAsync(user, conflictId, new { choice = "custom", data = new { session_id = "s2", content = "moved" } });

        Assert.Equal((HttpStatusCode.BadRequest, "invalid_field"), (status, code));
        await AssertStillOpenAsync(user, conflictId);
        var (after, _) = await user.PullAllAsync();
        Assert.Equal(before[("ai_messages", "m1")].ToJsonString(), after[("ai_messages", "m1")].ToJsonString());
    }

    [Fact]
    public async Task CustomResolution_PointingAMessageAtAChatThatDoesNotExist_IsRefused()
    {
        var (user, conflictId) = await MessageConflictAsync(fixture.Server);

        var (status, code) = await ResolveAsync(user, conflictId, new { choice = "custom", data = new { session_id = "no-such-chat" } });

        Assert.Equal((HttpStatusCode.BadRequest, "missing_parent"), (status, code));
        await AssertStillOpenAsync(user, conflictId);
    }

    [Fact]
    public async Task CustomResolution_GivingAPreferenceAnotherKey_IsRefused_KeepingOneSideStillWorks()
    {
        var user = await NewUserAsync(fixture.Server);
        await user.PushAsync("a", Upsert("ui_preferences", "theme", 0, T0, new JsonObject { ["key"] = "theme", ["value"] = "light" }));
        await user.PushAsync("a", Upsert("ui_preferences", "theme", 1, T1, new JsonObject { ["value"] = "dark" }));
        var conflictId = (await user.PushAsync("b", Upsert("ui_preferences", "theme", 1, T2, new JsonObject { ["value"] = "solarized" }))).Results[0].ConflictId!;

        var (status, code) = await ResolveAsync(user, conflictId, new { choice = "custom", data = new { key = "font_size", value = "dark" } });
        await AssertStillOpenAsync(user, conflictId);
        var (kept, _) = await ResolveAsync(user, conflictId, new { choice = "remote" });

        Assert.Equal((HttpStatusCode.BadRequest, "invalid_id"), (status, code));
        Assert.Equal(HttpStatusCode.OK, kept);
        var (records, _) = await user.PullAllAsync();
        Assert.Equal("dark", records[("ui_preferences", "theme")]["value"]!.GetValue<string>());
        Assert.Empty(await user.GetAsync<List<ConflictInfo>>("/api/sync/conflicts"));
    }

    [Fact]
    public async Task Resolution_ThatDeletesAChat_DeletesItsMessages_AsAPushsDeleteDoes()
    {
        var user = await NewUserAsync(fixture.Server);
        await user.PushAsync("a", Upsert("ai_sessions", "s1", 0, T0, new JsonObject { ["title"] = "Chat" }));
        await user.PushAsync("a", Delete("ai_sessions", "s1", 1, T1));
        // Device b, still on version 1, renames the chat later: it wins and the chat is live again, with a new message.
        var conflictId = (await user.PushAsync("b", Upsert("ai_sessions", "s1", 1, T2, new JsonObject { ["title"] = "Renamed" }))).Results[0].ConflictId!;
        await user.PushAsync("b", Upsert("ai_messages", "m9", 0, T3, new JsonObject { ["session_id"] = "s1", ["role"] = "user", ["content"] = "still here?" }));

        // Keep device a's side: the chat deleted.
        var (status, _) = await ResolveAsync(user, conflictId, new { choice = "remote" });

        Assert.Equal(HttpStatusCode.OK, status);
        var (records, _) = await user.PullAllAsync();
        Assert.True(records[("ai_sessions", "s1")]["deleted"]!.GetValue<bool>());
        Assert.True(records[("ai_messages", "m9")]["deleted"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Resolution_IsOneLineInTheActivity_AndTheWebIsNotADevice()
    {
        var (user, conflictId) = await MessageConflictAsync(fixture.Server);

        var response = await user.Http.PostAsJsonAsync($"/api/sync/conflicts/{conflictId}/resolve", new { choice = "local", device_id = "web" });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Single(await user.GetAsync<List<ActivityInfo>>("/api/sync/activity"), a => a.Kind == "resolve");
        Assert.DoesNotContain(await user.GetAsync<List<DeviceInfo>>("/api/sync/devices"), d => d.DeviceId == "web");
    }
}
