using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using SqlStudio.Contracts;
using SqlStudio.Testing;
using static SqlStudio.Testing.SyncClient;

namespace SqlStudio.Server.Tests.Beta;

/// <summary>GET /api/onboarding steps done by their events, skipping, the welcome email, and what's new.</summary>
public sealed class OnboardingTests(TimedServerFixture fixture) : IClassFixture<TimedServerFixture>
{
    private static bool Done(OnboardingResponse state, string step) => state.Steps.Single(s => s.Id == step).Done;

    [Fact]
    public async Task Steps_AreDoneByTheirEvents_SkippingFinishesTheRest()
    {
        var user = await NewUserAsync(fixture.Server);
        await fixture.Server.Mailbox.WaitForAsync(user.Tokens.User.Email, "Welcome to SQL Studio Cloud");

        var start = await user.Http.GetFromJsonAsync<OnboardingResponse>("/api/onboarding", AuthClient.Json);
        await user.PushAsync("laptop", Upsert("connections", "c1", 0, "2026-11-20T10:00:00Z", new JsonObject { ["name"] = "prod", ["driver"] = "pg" }));
        var synced = await user.Http.GetFromJsonAsync<OnboardingResponse>("/api/onboarding", AuthClient.Json);
        var skipped = await user.Http.PostAsync("/api/onboarding/trial_explained/skip", null);
        var finished = await skipped.Content.ReadFromJsonAsync<OnboardingResponse>(AuthClient.Json);
        var unknown = await user.Http.PostAsync("/api/onboarding/make_coffee/skip", null);

        Assert.Equal(["verify_email", "first_device", "first_sync", "first_connection", "trial_explained"], start!.Steps.Select(s => s.Id));
        Assert.True(Done(start, "verify_email"));
        Assert.False(Done(start, "first_sync"));
        Assert.False(start.Completed);
        Assert.True(Done(synced!, "first_device"));
        Assert.True(Done(synced!, "first_sync"));
        Assert.True(Done(synced!, "first_connection"));
        Assert.False(synced!.Completed);
        Assert.Equal(HttpStatusCode.OK, skipped.StatusCode);
        Assert.True(finished!.Completed);
        Assert.True(finished.Steps.Single(s => s.Id == "trial_explained").Skipped);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("not_found", (await AuthClient.ProblemAsync(unknown)).GetProperty("code").GetString());
    }

    [Fact]
    public async Task WhatsNew_IsNewestFirst_AndCanStartAfterAVersion()
    {
        var user = await NewUserAsync(fixture.Server);

        var all = await user.Http.GetFromJsonAsync<List<WhatsNewEntry>>("/api/whats-new", AuthClient.Json);
        var newer = await user.Http.GetFromJsonAsync<List<WhatsNewEntry>>($"/api/whats-new?since={all![^1].Version}", AuthClient.Json);
        var none = await user.Http.GetFromJsonAsync<List<WhatsNewEntry>>($"/api/whats-new?since={all[0].Version}", AuthClient.Json);

        Assert.True(all.Count >= 2);
        Assert.Equal(all.OrderByDescending(e => Version.Parse(e.Version)).Select(e => e.Version), all.Select(e => e.Version));
        Assert.Equal(all.Count - 1, newer!.Count);
        Assert.Empty(none!);
    }
}
