using Microsoft.Playwright;

namespace SqlStudio.Browser.Tests;

public sealed class LandingPageTests(BrowserFixture fixture) : IClassFixture<BrowserFixture>
{
    [Fact]
    public async Task Landing_Desktop_ShowsPitchStyledWithSignUpAndLogIn()
    {
        var page = await fixture.NewPageAsync();

        var response = await page.GotoAsync("/");

        Assert.Equal(200, response!.Status);
        Assert.Contains("SQL Studio Cloud", await page.TitleAsync());
        Assert.Equal("Your SQL workspace, on every machine", await page.Locator("h1").InnerTextAsync());
        // Pico styles these links as buttons (role="button"); they still lead to the account pages.
        Assert.Equal("/register", await page.GetByRole(AriaRole.Button, new() { Name = "Sign up" }).GetAttributeAsync("href"));
        Assert.True(await page.GetByRole(AriaRole.Link, new() { Name = "Log in" }).First.IsVisibleAsync());
        // Pico.css applied: its container has a max width, an unstyled page would not.
        var maxWidth = await page.EvaluateAsync<string>("getComputedStyle(document.querySelector('main.container')).maxWidth");
        Assert.NotEqual("none", maxWidth);
    }

    [Fact]
    public async Task Landing_PhoneWidth_HasNoHorizontalScroll()
    {
        var page = await fixture.NewPageAsync(width: 375, height: 740);

        await page.GotoAsync("/");

        var overflow = await page.EvaluateAsync<int>("document.documentElement.scrollWidth - window.innerWidth");
        Assert.True(overflow <= 0, $"page is {overflow}px wider than a phone screen");
        Assert.True(await page.GetByRole(AriaRole.Button, new() { Name = "Create your account" }).First.IsVisibleAsync());
    }

    /// <summary>Issue #22 §8: a self-hosted server (no Stripe keys) offers no trial it cannot give, on any page.</summary>
    [Theory]
    [InlineData("/")]
    [InlineData("/download")]
    [InlineData("/register")]
    public async Task SelfHosted_NoPageOffersATrial(string path)
    {
        var page = await fixture.NewPageAsync();

        await page.GotoAsync(path);

        var text = await page.Locator("body").InnerTextAsync();
        var description = await page.Locator("meta[name=description]").GetAttributeAsync("content");
        // It may say there is no trial; it never offers one, nor a price.
        foreach (var offer in new[] { "free trial", "14-day", "$9" })
        {
            Assert.DoesNotContain(offer, text, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(offer, description ?? "", StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public async Task ApiReference_Renders()
    {
        var page = await fixture.NewPageAsync();
        var errors = new List<string>();
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                errors.Add(message.Text);
            }
        };

        // What matters is what Scalar renders, not when the browser fires "load" for its 1.4 MB of script.
        await page.GotoAsync("/docs/api", new() { WaitUntil = WaitUntilState.DOMContentLoaded });

        // Scalar renders the OpenAPI document's title once it has fetched and parsed /openapi/v1.json.
        await page.GetByText("SQL Studio Cloud API").First.WaitForAsync();
        Assert.Contains("/docs/api", page.Url);
        Assert.Equal("en", await page.EvaluateAsync<string>("document.documentElement.lang"));
        // No font the policy refuses, nothing else failing (there were 14 errors before).
        Assert.True(errors.Count == 0, string.Join("\n", errors));
        Assert.Equal(0, await page.GetByText("Generate SDK").CountAsync());
    }
}
