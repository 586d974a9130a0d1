using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Playwright;
using SqlStudio.Testing;
using static SqlStudio.Testing.SyncClient;

namespace SqlStudio.Browser.Tests;

/// <summary>
/// Every page on the narrowest phone (320 px), with the longest things a person brings: a long email address and a
/// device name without a space to break at. Nothing may push the page sideways.
/// </summary>
public sealed class NarrowScreenTests(BrowserFixture fixture) : IClassFixture<BrowserFixture>
{
    public static TheoryData<string, bool> Pages => new()
    {
        { "/", false }, { "/login", false }, { "/register", false }, { "/forgot-password", false }, { "/terms", false },
        { "/privacy", false }, { "/download", false }, { "/no-such-page", false },
        { "/", true }, { "/account", true }, { "/account/sync", true }, { "/welcome", true }, { "/feedback", true }, { "/billing", true },
    };

    [Theory]
    [MemberData(nameof(Pages))]
    public async Task Page_At320px_HasNoHorizontalScroll(string path, bool signedIn)
    {
        var page = await fixture.NewPageAsync(width: 320, height: 640);
        if (signedIn)
        {
            var email = $"firstname.middlename.lastname.{Guid.NewGuid():N}@engineering.example-company.com";
            var user = For(fixture.Server, await new AuthClient(fixture.Server).RegisterVerifiedAsync(email));
            await user.PushAsync("workstation-" + new string('x', 60), Upsert("saved_queries", "q1", 0, "2026-11-20T10:00:00Z",
                new JsonObject { ["title"] = "Revenue", ["sql"] = "select 1" }));
            await page.GotoAsync("/login");
            await page.GetByLabel("Email").FillAsync(email);
            await page.GetByLabel("Password").FillAsync(AuthClient.Password);
            await page.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();
            await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Your account");
        }

        await page.GotoAsync(path);

        var overflow = await page.EvaluateAsync<JsonElement>(
            """
            () => ({
                by: document.documentElement.scrollWidth - window.innerWidth,
                widest: [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
                    .slice(0, 3).map(e => e.tagName + (e.className ? '.' + e.className : '') + ': ' + (e.textContent || '').trim().slice(0, 40))
            })
            """);
        Assert.True(overflow.GetProperty("by").GetInt32() <= 0, $"{path} at 320px scrolls sideways by {overflow.GetProperty("by")}px: {overflow.GetProperty("widest")}");
    }
}
