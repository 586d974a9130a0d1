using Microsoft.Playwright;
using SqlStudio.Testing;

namespace SqlStudio.Browser.Tests;

/// <summary>A server that offers GitHub and Google, both played by loopback fakes.</summary>
public sealed class OAuthBrowserFixture : BrowserFixture
{
    public FakeOAuthProviders Providers { get; private set; } = null!;

    protected override async Task<TestServer> StartServerAsync()
    {
        Providers = await FakeOAuthProviders.StartAsync();
        return await TestServer.StartAsync(Providers.Configure);
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await Providers.DisposeAsync();
    }
}

public sealed class OAuthPagesTests(OAuthBrowserFixture fixture) : IClassFixture<OAuthBrowserFixture>
{
    [Theory]
    [InlineData("/login", "GitHub")]
    [InlineData("/register", "Google")]
    public async Task ContinueWithProvider_SignsInAndShowsLinkedProvider(string startPage, string provider)
    {
        var account = new FakeAccount(Random.Shared.Next(1, int.MaxValue).ToString(), "ada", "Ada Lovelace", AuthClient.NewEmail("pw-oauth"));
        fixture.Providers.Next = account;
        var page = await fixture.NewPageAsync();

        await page.GotoAsync(startPage);
        await page.GetByRole(AriaRole.Button, new() { Name = $"Continue with {provider}" }).ClickAsync();

        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Your account");
        await Assertions.Expect(page.GetByText($"Signed in as {account.Email}")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator($"[data-linked={provider.ToLowerInvariant()}]")).ToContainTextAsync(account.Email);
        await Assertions.Expect(page.GetByText("(this browser)")).ToBeVisibleAsync();
    }

    [Fact]
    public async Task ContinueWithGitHub_Denied_ShowsReadableMessage()
    {
        fixture.Providers.Next = null;
        var page = await fixture.NewPageAsync();

        await page.GotoAsync("/login");
        await page.GetByRole(AriaRole.Button, new() { Name = "Continue with GitHub" }).ClickAsync();

        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToHaveTextAsync("You declined to share your GitHub account, so you are not signed in.");
        Assert.Contains("/login", page.Url);
    }
}
