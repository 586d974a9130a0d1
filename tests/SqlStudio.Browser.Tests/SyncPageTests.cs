using System.Text.Json.Nodes;
using Microsoft.Playwright;
using SqlStudio.Testing;
using static SqlStudio.Testing.SyncClient;

namespace SqlStudio.Browser.Tests;

public sealed class SyncPageTests(BrowserFixture fixture) : IClassFixture<BrowserFixture>
{
    [Fact]
    public async Task SyncPage_ShowsDevicesCountsAndConflictSideBySide_KeepOtherResolves()
    {
        var api = new AuthClient(fixture.Server);
        var email = AuthClient.NewEmail("sync-page");
        var user = For(fixture.Server, await api.RegisterVerifiedAsync(email));
        await user.PushAsync("work-laptop", Upsert("saved_queries", "q1", 0, "2026-11-20T10:00:00Z",
            new JsonObject { ["title"] = "Revenue", ["sql"] = "select sum(total) from orders" }));
        await user.PushAsync("work-laptop", Upsert("saved_queries", "q1", 1, "2026-11-20T10:01:00Z", new JsonObject { ["sql"] = "select sum(total) from orders where paid" }));
        // home-desktop introduces itself by name, as the SDK's worker does; work-laptop never did.
        (await user.Http.PostAsync("/api/sync/devices", System.Net.Http.Json.JsonContent.Create(
            new { device_id = "home-desktop", name = "Home desktop (SQL Studio)", platform = "Linux", app_version = "1.0" }))).EnsureSuccessStatusCode();
        await user.PushAsync("home-desktop", Upsert("saved_queries", "q1", 1, "2026-11-20T10:02:00Z", new JsonObject { ["sql"] = "select sum(net) from orders" }));
        var page = await fixture.NewPageAsync();
        await page.GotoAsync("/login");
        await page.GetByLabel("Email").FillAsync(email);
        await page.GetByLabel("Password").FillAsync(AuthClient.Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();

        await page.GetByRole(AriaRole.Button, new() { Name = "Sync: devices, conflicts and settings" }).ClickAsync();

        await Assertions.Expect(page.Locator("[data-sync-state=on]")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("[data-count=saved_queries] strong")).ToHaveTextAsync("1");
        await Assertions.Expect(page.Locator("[data-device=work-laptop]")).ToContainTextAsync("work-laptop");
        await Assertions.Expect(page.Locator("[data-device=home-desktop]")).ToBeVisibleAsync();
        // Activity by sync run: work-laptop's two pushes are one run, home-desktop's is the newest.
        var runs = page.Locator("section[aria-labelledby=activity] li");
        await Assertions.Expect(runs).ToHaveCountAsync(2);
        await Assertions.Expect(runs.First).ToContainTextAsync("Home desktop (SQL Studio) · sent 1 change");
        await Assertions.Expect(runs.Last).ToContainTextAsync("work-laptop · sent 2 changes");
        var conflict = page.Locator("article.conflict");
        await Assertions.Expect(conflict).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("[data-sync-chip]")).ToHaveTextAsync("1 conflict");
        // Named as a person knows it (#22 §4): the record by its title, the sides by the devices' names.
        await Assertions.Expect(conflict.Locator("header")).ToContainTextAsync("“Revenue”");
        await Assertions.Expect(conflict.Locator("header")).Not.ToContainTextAsync("q1");
        await Assertions.Expect(conflict.GetByRole(AriaRole.Button, new() { Name = "Keep Home desktop (SQL Studio)" })).ToBeVisibleAsync();
        await Assertions.Expect(conflict.Locator("thead")).ToContainTextAsync("Home desktop (SQL Studio)");
        var row = conflict.Locator("tr[data-field=sql]");
        await Assertions.Expect(row).ToHaveClassAsync("differs");
        await Assertions.Expect(row.Locator("td mark").First).ToHaveTextAsync("select sum(net) from orders");
        await Assertions.Expect(row.Locator("td mark").Last).ToHaveTextAsync("select sum(total) from orders where paid");

        await conflict.GetByRole(AriaRole.Button, new() { Name = "Keep work-laptop" }).ClickAsync();

        await Assertions.Expect(page.GetByText("Resolved.")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("article.conflict")).ToHaveCountAsync(0);
        // The header on the same page agrees with it (#22 §10): it is rendered again after the resolution.
        await Assertions.Expect(page.Locator("[data-sync-chip]")).ToContainTextAsync("Synced");
        var (records, _) = await user.PullAllAsync();
        Assert.Equal("select sum(total) from orders where paid", records[("saved_queries", "q1")]["sql"]!.GetValue<string>());
    }

    [Fact]
    public async Task SyncPage_Settings_AreSavedAsSyncedPreferences()
    {
        var api = new AuthClient(fixture.Server);
        var email = AuthClient.NewEmail("sync-settings");
        var user = For(fixture.Server, await api.RegisterVerifiedAsync(email));
        var page = await fixture.NewPageAsync(width: 390, height: 844);
        await page.GotoAsync("/login?ReturnUrl=%2Faccount%2Fsync");
        await page.GetByLabel("Email").FillAsync(email);
        await page.GetByLabel("Password").FillAsync(AuthClient.Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();

        await Assertions.Expect(page.GetByText("Nothing has synced yet.")).ToBeVisibleAsync();
        await page.GetByLabel("Sync query history").UncheckAsync();
        await page.GetByLabel("Hide the value after these words").FillAsync("password, internal_salary");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save settings" }).ClickAsync();

        await Assertions.Expect(page.GetByText("Settings saved.")).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByLabel("Sync query history")).Not.ToBeCheckedAsync();
        await Assertions.Expect(page.Locator("section[aria-labelledby=activity] li")).ToContainTextAsync("this website · sent 2 changes");
        var (records, _) = await user.PullAllAsync();
        Assert.False(records[("ui_preferences", "sync.history.enabled")]["value"]!.GetValue<bool>());
        Assert.Equal("[\"password\",\"internal_salary\"]", records[("ui_preferences", "sync.history.redaction_keywords")]["value"]!.ToJsonString());
        var overflow = await page.EvaluateAsync<int>("document.documentElement.scrollWidth - window.innerWidth");
        Assert.True(overflow <= 0, $"{overflow}px of horizontal scroll on a phone");
    }
}
