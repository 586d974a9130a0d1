using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using SqlStudio.Testing;
using static SqlStudio.Testing.SyncClient;

namespace SqlStudio.Server.Tests.Beta;

/// <summary>Feature flags with targeting (GET /api/features) and the kill switch for sync pushes.</summary>
public sealed class FeatureFlagTests
{
    private static void Flags(TestServerOptions o)
    {
        o.Settings["FeatureManagement:Everyone"] = "true";
        o.Settings["FeatureManagement:Nobody"] = "false";
        o.Settings["FeatureManagement:AdminsOnly:EnabledFor:0:Name"] = "Microsoft.Targeting";
        o.Settings["FeatureManagement:AdminsOnly:EnabledFor:0:Parameters:Audience:Groups:0:Name"] = "admin";
        o.Settings["FeatureManagement:AdminsOnly:EnabledFor:0:Parameters:Audience:Groups:0:RolloutPercentage"] = "100";
        o.Settings["FeatureManagement:AdminsOnly:EnabledFor:0:Parameters:Audience:DefaultRolloutPercentage"] = "0";
        o.Settings["FeatureManagement:Half:EnabledFor:0:Name"] = "Microsoft.Targeting";
        o.Settings["FeatureManagement:Half:EnabledFor:0:Parameters:Audience:DefaultRolloutPercentage"] = "50";
    }

    [Fact]
    public async Task Features_AreTargetedPerUser_StableForEach_AndFollowTheRole()
    {
        await using var server = await TestServer.StartAsync(Flags);
        var users = new List<SyncClient>();
        for (var i = 0; i < 16; i++)
        {
            users.Add(await NewUserAsync(server));
        }

        var first = await Task.WhenAll(users.Select(u => u.Http.GetFromJsonAsync<Dictionary<string, bool>>("/api/features")));
        var again = await Task.WhenAll(users.Select(u => u.Http.GetFromJsonAsync<Dictionary<string, bool>>("/api/features")));
        var output = new StringWriter();
        await OperatorCommands.RunAsync(["admin", "grant", users[0].Tokens.User.Email, .. server.OperatorArgs], output, output);
        var admin = await users[0].Http.GetFromJsonAsync<Dictionary<string, bool>>("/api/features");

        Assert.All(first, f => Assert.True(f!["Everyone"]));
        Assert.All(first, f => Assert.False(f!["Nobody"]));
        Assert.All(first, f => Assert.False(f!["AdminsOnly"]));
        Assert.True(admin!["AdminsOnly"]);
        // A percentage rollout splits users, and each user keeps their answer.
        Assert.Contains(first, f => f!["Half"]);
        Assert.Contains(first, f => !f!["Half"]);
        Assert.Equal(first.Select(f => f!["Half"]), again.Select(f => f!["Half"]));
        using var anonymous = server.CreateClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/features")).StatusCode);
    }

    [Fact]
    public async Task KillSwitch_RefusesPushesWith503AndRetryAfter_PullsGoOn()
    {
        await using var server = await TestServer.StartAsync(o => o.Settings["FeatureManagement:PauseSyncPush"] = "true");
        var user = await NewUserAsync(server);

        var push = await user.PushRawAsync("laptop", [Upsert("query_tabs", "t", 0, "2026-11-20T10:00:00Z", new JsonObject { ["title"] = "kept" })]);
        var pull = await user.Http.GetAsync("/api/sync/changes?cursor=0");
        var flags = await user.Http.GetFromJsonAsync<Dictionary<string, bool>>("/api/features");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, push.StatusCode);
        Assert.Equal("sync_paused", (await AuthClient.ProblemAsync(push)).GetProperty("code").GetString());
        Assert.NotNull(push.Headers.RetryAfter);
        Assert.Equal(HttpStatusCode.OK, pull.StatusCode);
        Assert.True(flags!["PauseSyncPush"]);
    }
}
