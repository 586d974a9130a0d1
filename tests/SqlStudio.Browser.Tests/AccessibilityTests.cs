using System.Text.Json;
using Microsoft.Playwright;
using SqlStudio.Testing;

namespace SqlStudio.Browser.Tests;

/// <summary>
/// axe-core (the checker behind Lighthouse's accessibility score) on every page, signed out and signed in, at desktop
/// and phone widths: no serious or critical violation.
/// </summary>
public sealed class AccessibilityTests(BrowserFixture fixture) : IClassFixture<BrowserFixture>
{
    private static readonly string Axe = File.ReadAllText(Path.Combine(Repository.Root, "tests", "SqlStudio.Browser.Tests", "node_modules", "axe-core", "axe.min.js"));

    public static TheoryData<string, bool, int> Pages => new()
    {
        { "/", false, 1280 }, { "/", false, 390 }, { "/login", false, 1280 }, { "/register", false, 390 }, { "/forgot-password", false, 1280 },
        { "/terms", false, 390 }, { "/privacy", false, 1280 }, { "/download", false, 390 }, { "/no-such-page", false, 1280 }, { "/status", false, 390 },
        { "/account", true, 1280 }, { "/account", true, 390 }, { "/welcome", true, 390 }, { "/feedback", true, 1280 },
        { "/account/sync", true, 1280 }, { "/billing", true, 390 },
    };

    [Theory]
    [MemberData(nameof(Pages))]
    public async Task Page_HasNoSeriousOrCriticalAxeViolation(string path, bool signedIn, int width)
    {
        // The checker is injected as a script: the pages' content security policy (rightly) forbids that, so this
        // browser context bypasses it.
        var context = await fixture.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = fixture.Server.BaseAddress.ToString(),
            ViewportSize = new ViewportSize { Width = width, Height = 844 },
            BypassCSP = true,
        });
        var page = await context.NewPageAsync();
        if (signedIn)
        {
            var tokens = await new AuthClient(fixture.Server).RegisterVerifiedAsync();
            await page.GotoAsync("/login");
            await page.GetByLabel("Email").FillAsync(tokens.User.Email);
            await page.GetByLabel("Password").FillAsync(AuthClient.Password);
            await page.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();
            await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Your account");
        }
        await page.GotoAsync(path);
        await page.AddScriptTagAsync(new PageAddScriptTagOptions { Content = Axe });

        var json = await page.EvaluateAsync<JsonElement>(
            "async () => (await axe.run(document, { resultTypes: ['violations'] })).violations" +
            ".filter(v => v.impact === 'serious' || v.impact === 'critical')" +
            ".map(v => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ')) }))");

        Assert.True(json.GetArrayLength() == 0, $"{path} at {width}px: {json}");
        await context.CloseAsync();
    }
}
