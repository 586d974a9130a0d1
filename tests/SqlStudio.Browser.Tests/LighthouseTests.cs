using System.Text.Json;
using Microsoft.Playwright;
using SqlStudio.Testing;

namespace SqlStudio.Browser.Tests;

/// <summary>
/// Lighthouse's accessibility, best-practices and SEO scores on every page, signed out and signed in: each at least
/// 95 (run by lighthouse.mjs on Debian's chromium, from npm at build time).
/// </summary>
public sealed class LighthouseTests(BrowserFixture fixture) : IClassFixture<BrowserFixture>
{
    private static readonly string[] Pages =
    [
        "/", "/login", "/register", "/forgot-password", "/terms", "/privacy", "/download",
        "/|signed-in", "/account|signed-in", "/account/sync|signed-in", "/welcome|signed-in", "/feedback|signed-in", "/billing|signed-in",
    ];

    [Fact]
    public async Task EveryPage_ScoresAtLeast95_InAccessibilityBestPracticesAndSeo()
    {
        // A signed-in user's cookies, handed to Lighthouse's own browser as a request header.
        var tokens = await new AuthClient(fixture.Server).RegisterVerifiedAsync();
        var page = await fixture.NewPageAsync();
        await page.GotoAsync("/login");
        await page.GetByLabel("Email").FillAsync(tokens.User.Email);
        await page.GetByLabel("Password").FillAsync(AuthClient.Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Your account");
        var cookie = string.Join("; ", (await page.Context.CookiesAsync()).Select(c => $"{c.Name}={c.Value}"));

        // Signed-out and signed-in pages each in a browser of their own: cookies a signed-out page leaves behind (the
        // antiforgery one) would otherwise replace the session cookie handed over as a header.
        var signedOut = await RunAsync("", Pages.Where(p => !p.EndsWith("|signed-in", StringComparison.Ordinal)));
        var signedIn = await RunAsync(cookie, Pages.Where(p => p.EndsWith("|signed-in", StringComparison.Ordinal)));
        var results = signedOut.RootElement.EnumerateObject().Concat(signedIn.RootElement.EnumerateObject()).ToList();

        var shortfalls = new List<string>();
        foreach (var result in results)
        {
            if (result.Value.GetProperty("error").GetString() is { } error)
            {
                shortfalls.Add($"{result.Name}: {error}");
                continue;
            }
            if (result.Name.EndsWith("|signed-in", StringComparison.Ordinal) && new Uri(result.Value.GetProperty("url").GetString()!).AbsolutePath == "/login")
            {
                shortfalls.Add($"{result.Name}: was not signed in (sent to /login)");
                continue;
            }
            foreach (var score in result.Value.GetProperty("scores").EnumerateObject())
            {
                if (score.Value.GetDouble() < 0.95)
                {
                    shortfalls.Add($"{result.Name} {score.Name} {score.Value.GetDouble() * 100:F0}: {string.Join("; ", result.Value.GetProperty("failing").EnumerateArray())}");
                }
            }
        }
        Assert.Equal(Pages.Length, results.Count);
        Assert.True(shortfalls.Count == 0, string.Join("\n", shortfalls));
    }

    private async Task<JsonDocument> RunAsync(string cookie, IEnumerable<string> pages)
    {
        var (exit, output, errors) = await ChildProcess.RunAsync("node", ["lighthouse.mjs", fixture.Server.BaseAddress.ToString(), cookie, .. pages],
            Path.Combine(Repository.Root, "tests", "SqlStudio.Browser.Tests"), TimeSpan.FromMinutes(5));
        Assert.True(exit == 0, $"lighthouse.mjs failed: {errors}");
        return JsonDocument.Parse(output);
    }
}
