using Microsoft.Playwright;
using SqlStudio.Server;
using SqlStudio.Testing;

namespace SqlStudio.Browser.Tests;

public sealed class InviteOnlyBrowserFixture : BrowserFixture
{
    public const string Support = "help@sqlstudio.test";

    protected override Task<TestServer> StartServerAsync() => TestServer.StartAsync(o =>
    {
        o.Settings["Beta:InviteOnly"] = "true";
        o.Settings["Beta:SupportEmail"] = Support;
    });
}

/// <summary>The beta's pages in Chromium: the waitlist, the invite link, feedback, and the legal pages.</summary>
public sealed class BetaPagesTests(InviteOnlyBrowserFixture fixture) : IClassFixture<InviteOnlyBrowserFixture>
{
    private const string Password = "Beta-pages-are-fine-42";

    [Fact]
    public async Task Waitlist_JoinConfirmInvite_TheInviteLinkFillsRegistration()
    {
        var email = AuthClient.NewEmail("waitlist");
        var page = await fixture.NewPageAsync();
        await page.GotoAsync("/");
        // Invite-only: the landing page offers the waitlist instead of a sign-up button.
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Start a 14-day free trial" })).ToHaveCountAsync(0);
        await page.GetByLabel("Email").FillAsync(email);
        await page.GetByRole(AriaRole.Button, new() { Name = "Join the waitlist" }).ClickAsync();
        await Expect(page.GetByText("Check your inbox and confirm your address")).ToBeVisibleAsync();

        var confirmation = await fixture.Server.Mailbox.WaitForAsync(email, "Confirm your place");
        await page.GotoAsync(Local(Mailbox.LinkFrom(confirmation, "/waitlist/confirm")));
        await page.GetByRole(AriaRole.Button, new() { Name = "Confirm my place" }).ClickAsync();
        await Expect(page.Locator("h1")).ToHaveTextAsync("You are on the list");

        var output = new StringWriter();
        Assert.Equal(0, await OperatorCommands.RunAsync(["beta", "invite", "--from-waitlist", "100", .. fixture.Server.OperatorArgs], output, output));
        var invite = await fixture.Server.Mailbox.WaitForAsync(email, "Your invite");
        await page.GotoAsync(Local(Mailbox.LinkFrom(invite, "/register")));
        await Expect(page.GetByLabel("Email")).ToHaveValueAsync(email);
        await Expect(page.GetByLabel("Invite code")).Not.ToBeEmptyAsync();
        await page.GetByLabel("Name").FillAsync("Wanda");
        await page.GetByLabel("Password").FillAsync(Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Create account" }).ClickAsync();

        await Expect(page.Locator("h1")).ToHaveTextAsync("Check your inbox");
    }

    [Fact]
    public async Task Register_WithoutInvite_SaysSoOnThePage_ConsentLinksShown()
    {
        var page = await fixture.NewPageAsync();
        await page.GotoAsync("/register");
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "terms of service" })).ToHaveAttributeAsync("href", "/terms");
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "privacy notice" })).ToHaveAttributeAsync("href", "/privacy");

        await page.GetByLabel("Name").FillAsync("No Invite");
        await page.GetByLabel("Email").FillAsync(AuthClient.NewEmail());
        await page.GetByLabel("Password").FillAsync(Password);
        await page.GetByLabel("Invite code").FillAsync("WRONG-CODE-0000-0000");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create account" }).ClickAsync();

        await Expect(page.GetByText("This invite code is not one we issued")).ToBeVisibleAsync();
        await Expect(page.GetByLabel("Invite code")).ToHaveAttributeAsync("aria-invalid", "true");
    }

    [Fact]
    public async Task Feedback_SentFromThePage_ReachesSupport()
    {
        var email = AuthClient.NewEmail();
        var output = new StringWriter();
        await OperatorCommands.RunAsync(["beta", "codes", "create", .. fixture.Server.OperatorArgs], output, output);
        await new AuthClient(fixture.Server).PostAsync("/api/auth/register",
            new { email, password = Password, name = "Fiona", invite_code = output.ToString().Split('\n')[0].Trim() });
        var page = await fixture.NewPageAsync(width: 390, height: 844);
        await page.GotoAsync("/login");
        await page.GetByLabel("Email").FillAsync(email);
        await page.GetByLabel("Password").FillAsync(Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();
        await Expect(page.Locator("h1")).ToHaveTextAsync("Your account");

        await page.Locator("footer").GetByRole(AriaRole.Link, new() { Name = "Feedback" }).ClickAsync();
        await page.GetByLabel("An idea").CheckAsync();
        await page.GetByLabel("Your message").FillAsync("Please keep the query history search as it is, it is great.");
        await page.GetByLabel("How do you like SQL Studio Cloud so far? (optional)").SelectOptionAsync("5");
        await page.GetByRole(AriaRole.Button, new() { Name = "Send feedback" }).ClickAsync();

        await Expect(page.GetByText("Thank you — it reached the team.")).ToBeVisibleAsync();
        var forwarded = await fixture.Server.Mailbox.WaitForAsync(InviteOnlyBrowserFixture.Support, "from " + email);
        Assert.Contains("idea, 5/5", forwarded.Subject);
        var overflow = await page.EvaluateAsync<int>("document.documentElement.scrollWidth - window.innerWidth");
        Assert.True(overflow <= 0, $"page is {overflow}px wider than the phone");
    }

    [Theory]
    [InlineData("Terms", "Terms of service")]
    [InlineData("Privacy", "Privacy notice")]
    public async Task LegalPages_AreInEveryFooter_AndFitAPhone(string link, string heading)
    {
        var page = await fixture.NewPageAsync(width: 390, height: 844);
        await page.GotoAsync("/login");

        await page.Locator("footer").GetByRole(AriaRole.Link, new() { Name = link, Exact = true }).ClickAsync();

        await Expect(page.Locator("h1")).ToHaveTextAsync(heading);
        await Expect(page.Locator("footer")).ToContainTextAsync(InviteOnlyBrowserFixture.Support);
        var overflow = await page.EvaluateAsync<int>("document.documentElement.scrollWidth - window.innerWidth");
        Assert.True(overflow <= 0, $"page is {overflow}px wider than the phone");
    }

    private static string Local(string link) => new Uri(link).PathAndQuery;

    private static ILocatorAssertions Expect(ILocator locator) => Assertions.Expect(locator);
}
