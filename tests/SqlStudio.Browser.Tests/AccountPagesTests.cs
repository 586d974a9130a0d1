using Microsoft.Playwright;
using SqlStudio.Testing;

namespace SqlStudio.Browser.Tests;

/// <summary>The account pages, driven as a person would in Chromium.</summary>
public sealed class AccountPagesTests(BrowserFixture fixture) : IClassFixture<BrowserFixture>
{
    private const string Password = "Pages-are-fine-42";

    [Fact]
    public async Task Register_VerifyFromPickupFolder_LogIn_SeeSessions_LogOut()
    {
        var page = await fixture.NewPageAsync();
        var email = AuthClient.NewEmail("browser");

        await RegisterAsync(page, email, "Linus");
        await Expect(page.Locator("h1")).ToHaveTextAsync("Check your inbox");

        var message = await fixture.Server.Mailbox.WaitForAsync(email, "Confirm your email");
        await page.GotoAsync(Local(Mailbox.LinkFrom(message, "/verify-email")));
        await page.GetByRole(AriaRole.Button, new() { Name = "Confirm my email address" }).ClickAsync();
        await Expect(page.Locator("h1")).ToHaveTextAsync("Email confirmed");

        await page.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();
        await Expect(page.GetByText("Your email is confirmed")).ToBeVisibleAsync();
        await LogInAsync(page, email, Password);

        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/account$"));
        await Expect(page.Locator("h1")).ToHaveTextAsync("Your account");
        await Expect(page.GetByText("(this browser)")).ToBeVisibleAsync();
        await Expect(page.GetByText("confirmed", new() { Exact = true })).ToBeVisibleAsync();
        await Expect(page.Locator(".events")).ToContainTextAsync("Email confirmed");
        var cookie = (await page.Context.CookiesAsync()).Single(c => c.Name == "sqlstudio_session");
        Assert.True(cookie.HttpOnly);
        Assert.Equal(SameSiteAttribute.Lax, cookie.SameSite);
        // The cookie signs in pages only: an API call carrying just the cookie is refused (no CSRF through the API).
        Assert.Equal(401, (await page.Context.APIRequest.GetAsync("/api/auth/me")).Status);

        await page.GetByRole(AriaRole.Button, new() { Name = "Log out", Exact = true }).ClickAsync();
        await Expect(page.GetByText("You are signed out.")).ToBeVisibleAsync();
        await page.GotoAsync("/account");
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/login\\?ReturnUrl=%2Faccount"));
    }

    [Fact]
    public async Task ForgotThenReset_ThenLogInWithNewPassword()
    {
        var email = AuthClient.NewEmail("reset");
        await new AuthClient(fixture.Server).RegisterAsync(email, Password, "Margaret");
        var page = await fixture.NewPageAsync();

        await page.GotoAsync("/forgot-password");
        await page.GetByLabel("Email").FillAsync(email);
        await page.GetByRole(AriaRole.Button, new() { Name = "Send reset link" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("we sent it a link");

        var message = await fixture.Server.Mailbox.WaitForAsync(email, "Reset your");
        var response = await page.GotoAsync(Local(Mailbox.LinkFrom(message, "/reset-password")));
        Assert.Equal("no-referrer", await response!.HeaderValueAsync("referrer-policy"));
        await page.GetByLabel("New password").FillAsync("Fresh-start-2026!");
        await page.GetByRole(AriaRole.Button, new() { Name = "Set new password" }).ClickAsync();
        await Expect(page.GetByText("Your password was changed")).ToBeVisibleAsync();

        await LogInAsync(page, email, Password);
        await Expect(page.GetByRole(AriaRole.Alert)).ToHaveTextAsync("The email or password is not right.");
        await LogInAsync(page, email, "Fresh-start-2026!");
        await Expect(page.Locator("h1")).ToHaveTextAsync("Your account");
    }

    [Fact]
    public async Task Register_BadFields_ShowsFieldErrorsAndLiveStrength()
    {
        var page = await fixture.NewPageAsync();
        await page.GotoAsync("/register");

        await page.GetByLabel("Password").FillAsync("abc");
        await Expect(page.Locator(".strength-rules li.met")).ToHaveCountAsync(0);
        await page.GetByLabel("Password").FillAsync("abcdefgh1!");
        await Expect(page.Locator(".strength-rules li.met")).ToHaveCountAsync(3);
        await Expect(page.Locator(".strength-label")).ToContainTextAsync("Strength:");

        await page.GetByLabel("Email").FillAsync("not-an-email");
        await page.GetByLabel("Password").FillAsync("P@ssw0rd");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create account" }).ClickAsync();

        await Expect(page.Locator("#name-error")).ToContainTextAsync("Enter your name.");
        await Expect(page.Locator("#email-error")).ToContainTextAsync("valid email");
        await Expect(page.Locator("#password-error")).ToContainTextAsync("most common");
        await Expect(page.GetByLabel("Email")).ToHaveValueAsync("not-an-email");
        await Expect(page.GetByLabel("Email")).ToHaveAttributeAsync("aria-invalid", "true");
    }

    [Fact]
    public async Task Login_WrongPassword_ShowsOneMessage()
    {
        var email = AuthClient.NewEmail();
        await new AuthClient(fixture.Server).RegisterAsync(email, Password);
        var page = await fixture.NewPageAsync();

        await LogInAsync(page, email, "Not-the-password-1");

        await Expect(page.GetByRole(AriaRole.Alert)).ToHaveTextAsync("The email or password is not right.");
        await Expect(page.GetByLabel("Email")).ToHaveValueAsync(email);
    }

    [Fact]
    public async Task Register_PhoneWidth_HasNoHorizontalScroll()
    {
        var page = await fixture.NewPageAsync(width: 360, height: 740);

        await page.GotoAsync("/register");
        await page.GetByLabel("Password").FillAsync("Some-password-1");

        var overflow = await page.EvaluateAsync<int>("document.documentElement.scrollWidth - window.innerWidth");
        Assert.True(overflow <= 0, $"page is {overflow}px wider than the phone");
        Assert.True(await page.GetByRole(AriaRole.Button, new() { Name = "Create account" }).IsVisibleAsync());
    }

    [Fact]
    public async Task Account_ScriptInName_IsShownLiterally()
    {
        const string name = "<script>window.pwned=1</script><b>Eve</b>";
        var email = AuthClient.NewEmail();
        await new AuthClient(fixture.Server).RegisterAsync(email, Password, name);
        var page = await fixture.NewPageAsync();

        await LogInAsync(page, email, Password);

        await Expect(page.Locator("dd").First).ToHaveTextAsync(name);
        Assert.Null(await page.EvaluateAsync<int?>("window.pwned"));
        Assert.Equal(0, await page.Locator("dd b").CountAsync());
    }

    [Fact]
    public async Task Account_RevokeOtherSession_SignsItOut()
    {
        var email = AuthClient.NewEmail();
        var api = new AuthClient(fixture.Server);
        await api.RegisterAsync(email, Password);
        var desktop = await api.LoginAsync(email, Password, deviceName: "Build server");
        var page = await fixture.NewPageAsync();
        await LogInAsync(page, email, Password);

        var card = page.Locator($"article[data-session='{desktop.SessionId}']");
        await Expect(card).ToContainTextAsync("Build server");
        await card.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();

        await Expect(page.GetByText("That session is signed out.")).ToBeVisibleAsync();
        await Expect(page.Locator($"article[data-session='{desktop.SessionId}']")).ToHaveCountAsync(0);
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized,
            (await api.SendAsync(HttpMethod.Get, "/api/auth/me", desktop.AccessToken)).StatusCode);
    }

    [Fact]
    public async Task Account_DownloadMyData_ThenDeleteWithPassword_SignsOutAndRemovesTheAccount()
    {
        var email = AuthClient.NewEmail();
        var api = new AuthClient(fixture.Server);
        await api.RegisterAsync(email, Password, "Dora");
        var page = await fixture.NewPageAsync();
        await LogInAsync(page, email, Password);

        // The export is the page cookie's to download (the API route takes the cookie for this read).
        var download = await page.RunAndWaitForDownloadAsync(() =>
            page.GetByRole(AriaRole.Button, new() { Name = "Download my data" }).ClickAsync());
        Assert.StartsWith("sqlstudio-export-", download.SuggestedFilename);
        var export = System.Text.Json.Nodes.JsonNode.Parse(await File.ReadAllTextAsync((await download.PathAsync())!))!;
        Assert.Equal(email, export["account"]!["email"]!.GetValue<string>());

        await page.GetByText("Delete my account", new() { Exact = true }).ClickAsync();
        await page.GetByLabel("Your password").FillAsync("not the password");
        await page.GetByRole(AriaRole.Button, new() { Name = "Delete my account for good" }).ClickAsync();
        await Expect(page.GetByText("The password is not right; the account was not deleted.")).ToBeVisibleAsync();

        // The section stays open on the error, the field marked.
        await Expect(page.GetByLabel("Your password")).ToHaveAttributeAsync("aria-invalid", "true");
        await page.GetByLabel("Your password").FillAsync(Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Delete my account for good" }).ClickAsync();

        await Expect(page.GetByText("Your account and everything synced to it are deleted.")).ToBeVisibleAsync();
        await fixture.Server.Mailbox.WaitForAsync(email, "account is deleted");
        var login = await api.PostAsync("/api/auth/login", new { email, password = Password });
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, login.StatusCode);
    }

    [Fact]
    public async Task Welcome_ChecklistTicksByEvents_SkipAndGotIt()
    {
        var tokens = await new AuthClient(fixture.Server).RegisterVerifiedAsync();
        var page = await fixture.NewPageAsync(width: 390, height: 844);
        await LogInAsync(page, tokens.User.Email, AuthClient.Password);
        await page.GotoAsync("/welcome");

        await Expect(page.Locator("li[data-step='verify_email']")).ToContainTextAsync("done");
        await Expect(page.Locator("li[data-step='first_sync']")).Not.ToContainTextAsync("done");
        // Commands and pages as such, not as literal backticks and plain text (#22 §10).
        await Expect(page.Locator("li[data-step='first_device'] code")).ToHaveTextAsync("sqlstudio login");
        await Expect(page.Locator("li[data-step='first_device'] a[href='/account/sync']")).ToBeVisibleAsync();
        await Expect(page.Locator("li[data-step='first_device']")).Not.ToContainTextAsync("`");
        await page.Locator("li[data-step='trial_explained']").GetByRole(AriaRole.Button, new() { Name = "Got it" }).ClickAsync();
        await Expect(page.Locator("li[data-step='trial_explained']")).ToContainTextAsync("done");
        await page.Locator("li[data-step='first_connection']").GetByRole(AriaRole.Button, new() { Name = "Skip" }).ClickAsync();
        await Expect(page.Locator("li[data-step='first_connection']")).ToContainTextAsync("skipped");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "What's new" })).ToBeVisibleAsync();
        var overflow = await page.EvaluateAsync<int>("document.documentElement.scrollWidth - window.innerWidth");
        Assert.True(overflow <= 0, $"page is {overflow}px wider than the phone");
    }

    [Fact]
    public async Task Admin_IsNotFoundForUsers_AdminsSeeFiguresChartsAndCanDisableAnAccount()
    {
        var api = new AuthClient(fixture.Server);
        var admin = await api.RegisterVerifiedAsync();
        var customer = await api.RegisterVerifiedAsync();
        var page = await fixture.NewPageAsync();
        await LogInAsync(page, admin.User.Email, AuthClient.Password);
        var refused = await page.GotoAsync("/admin");
        Assert.Equal(404, refused!.Status);
        await Expect(page.Locator("h1")).ToHaveTextAsync("Page not found");

        var output = new StringWriter();
        Assert.Equal(0, await SqlStudio.Server.OperatorCommands.RunAsync(["admin", "grant", admin.User.Email, .. fixture.Server.OperatorArgs], output, output));
        var opened = await page.GotoAsync("/admin");
        Assert.True(opened!.Status == 200, await opened.TextAsync());
        await Expect(page.Locator("tr[data-figure='signups']")).ToContainTextAsync("50 signups");
        // Two windows (24 hours, 7 days), five charts each: latency percentiles, error rate, conflicts, devices, signups.
        Assert.Equal(5, await page.Locator(".charts[data-window='day'] svg").CountAsync());
        Assert.Equal(5, await page.Locator(".charts[data-window='week'] svg").CountAsync());
        Assert.Equal(3, await page.Locator(".charts[data-window='day'] polyline").CountAsync());
        await page.GetByLabel("Email").FillAsync(customer.User.Email);
        await page.GetByRole(AriaRole.Button, new() { Name = "Find" }).ClickAsync();
        var card = page.Locator($"article[data-account='{customer.User.UserId}']");
        await Expect(card).ToContainTextAsync("active");
        await card.GetByRole(AriaRole.Button, new() { Name = "Disable the account" }).ClickAsync();

        await Expect(page.GetByText($"{customer.User.Email} is disabled")).ToBeVisibleAsync();
        await Expect(page.Locator($"article[data-account='{customer.User.UserId}']")).ToContainTextAsync("disabled since");
        await Expect(page.Locator($"article[data-account='{customer.User.UserId}'] .events")).ToContainTextAsync($"{admin.User.Email} disabled the account");
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, (await api.SendAsync(HttpMethod.Get, "/api/auth/me", customer.AccessToken)).StatusCode);

        // Readable on a phone: nothing wider than the screen.
        await page.SetViewportSizeAsync(390, 844);
        var overflow = await page.EvaluateAsync<int>("document.documentElement.scrollWidth - window.innerWidth");
        Assert.True(overflow <= 0, $"the admin view is {overflow}px wider than the phone");
    }

    [Fact]
    public async Task Register_ErrorsAsItems_ResendFromCheckYourInbox_HeaderShowsSyncChipAndReadableSessions()
    {
        var email = AuthClient.NewEmail("chip");
        var page = await fixture.NewPageAsync();
        await page.GotoAsync("/register");
        await page.GetByLabel("Name").FillAsync("Cleo");
        await page.GetByLabel("Email").FillAsync(email);
        await page.GetByLabel("Password").FillAsync("short");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create account" }).ClickAsync();
        await Expect(page.Locator("#password-error li").First).ToBeVisibleAsync();

        await page.GetByLabel("Password").FillAsync(Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Create account" }).ClickAsync();
        await Expect(page.Locator("h1")).ToHaveTextAsync("Check your inbox");
        await page.GetByRole(AriaRole.Button, new() { Name = "Send the link again" }).ClickAsync();
        await Expect(page.GetByText("We sent the link again.")).ToBeVisibleAsync();
        var message = await fixture.Server.Mailbox.WaitForAsync(email, "Confirm your email", count: 2);

        await page.GotoAsync(Local(Mailbox.LinkFrom(message, "/verify-email")));
        await page.GetByRole(AriaRole.Button, new() { Name = "Confirm my email address" }).ClickAsync();
        await LogInAsync(page, email, Password);
        await Expect(page.Locator("[data-sync-chip]")).ToHaveTextAsync("Not synced yet");
        await Expect(page.Locator("[data-account-link]")).ToHaveTextAsync("Cleo");
        await Expect(page.Locator(".session-list")).ToContainTextAsync("Chrome on Linux");
        await page.GotoAsync("/");
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Go to your account" })).ToBeVisibleAsync();
        Assert.Contains("connections", await page.Locator("meta[name='description']").GetAttributeAsync("content"));
    }

    /// <summary>A server asking for ALTCHA's check, with a small proof of work so the browser solves it in moments.</summary>
    private static Task<TestServer> AltchaServerAsync() => TestServer.StartAsync(o =>
    {
        o.Settings["Captcha:Provider"] = "altcha";
        o.Settings["Captcha:Altcha:CounterMin"] = "1000";
        o.Settings["Captcha:Altcha:CounterMax"] = "5000";
    });

    [Fact]
    public async Task Register_AltchaWidget_SolvesInBrowserAndPasses()
    {
        await using var server = await AltchaServerAsync();
        var page = await fixture.NewPageAsync(server: server);
        var errors = new List<string>();
        page.Console += (_, message) => { if (message.Type == "error") errors.Add(message.Text); };

        await page.GotoAsync("/register");
        await page.GetByLabel("Name").FillAsync("Widget User");
        await page.GetByLabel("Email").FillAsync(AuthClient.NewEmail("altcha"));
        await page.GetByLabel("Password").FillAsync(Password);
        // As a person does: tick "I'm not a robot"; the widget fetches a challenge and solves it in a worker.
        await page.Locator("altcha-widget label").First.ClickAsync();
        await Expect(page.Locator("altcha-widget .altcha[data-state=verified]")).ToBeAttachedAsync(new() { Timeout = 30_000 });
        await Expect(page.Locator("altcha-widget input[type=hidden][name=captcha]")).Not.ToHaveValueAsync("");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create account" }).ClickAsync();

        await Expect(page.Locator("h1")).ToHaveTextAsync("Check your inbox");
        Assert.Empty(errors);
    }

    [Fact]
    public async Task Register_EmptyForm_EveryProblemAtOnce_ASolvedCheckIsKeptWhileTheFieldsAreFixed()
    {
        await using var server = await AltchaServerAsync();
        var page = await fixture.NewPageAsync(server: server);
        await page.GotoAsync("/register");

        await page.GetByRole(AriaRole.Button, new() { Name = "Create account" }).ClickAsync();

        // The first submission names every field that needs attention, the check among them (#22 §10).
        await Expect(page.Locator("#name-error")).ToBeVisibleAsync();
        await Expect(page.Locator("#email-error")).ToBeVisibleAsync();
        await Expect(page.Locator("#password-error")).ToBeVisibleAsync();
        await Expect(page.Locator("#captcha-error")).ToBeVisibleAsync();

        await page.GetByLabel("Name").FillAsync("Kept Check");
        var email = AuthClient.NewEmail("kept");
        await page.GetByLabel("Email").FillAsync(email);
        await page.GetByLabel("Password").FillAsync("short");
        await page.Locator("altcha-widget label").First.ClickAsync();
        await Expect(page.Locator("altcha-widget .altcha[data-state=verified]")).ToBeAttachedAsync(new() { Timeout = 30_000 });
        await page.GetByRole(AriaRole.Button, new() { Name = "Create account" }).ClickAsync();

        await Expect(page.Locator("#password-error li").First).ToBeVisibleAsync();
        await Expect(page.GetByText("Human check passed")).ToBeVisibleAsync();
        await Expect(page.Locator("#captcha-error")).ToHaveCountAsync(0);
        await Expect(page.Locator("altcha-widget")).ToHaveCountAsync(0);

        await page.GetByLabel("Password").FillAsync(Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Create account" }).ClickAsync();
        await Expect(page.Locator("h1")).ToHaveTextAsync("Check your inbox");
        await server.Mailbox.WaitForAsync(email, "Confirm your email");
    }

    [Fact]
    public async Task NotFound_HasTheSitesOwnHeaderAndFooter_ItsStatusLinkIsAPageForPeople()
    {
        var api = new AuthClient(fixture.Server);
        var user = await api.RegisterVerifiedAsync();
        var page = await fixture.NewPageAsync();
        await LogInAsync(page, user.User.Email, AuthClient.Password);

        var missing = await page.GotoAsync("/no/such/page");

        Assert.Equal(404, missing!.Status);
        await Expect(page.Locator("h1")).ToHaveTextAsync("Page not found");
        await Expect(page.Locator("[data-sync-chip]")).ToBeVisibleAsync();
        await Expect(page.Locator("[data-account-link]")).ToBeVisibleAsync();
        await page.Locator("footer").GetByRole(AriaRole.Link, new() { Name = "status" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/status$"));
        await Expect(page.Locator("h1")).ToHaveTextAsync("Everything is working");
        await Expect(page.Locator("article")).ToContainTextAsync("Accounts and sync (the database): working");
    }

    [Fact]
    public async Task VerifyEmail_SignedIn_TheHeaderNoLongerSaysPaused()
    {
        var page = await fixture.NewPageAsync();
        var email = AuthClient.NewEmail("chip");
        await RegisterAsync(page, email, "Chip");
        await LogInAsync(page, email, Password);
        await Expect(page.Locator("[data-sync-chip]")).ToHaveTextAsync("Paused");

        var message = await fixture.Server.Mailbox.WaitForAsync(email, "Confirm your email");
        await page.GotoAsync(Local(Mailbox.LinkFrom(message, "/verify-email")));
        await page.GetByRole(AriaRole.Button, new() { Name = "Confirm my email address" }).ClickAsync();

        await Expect(page.Locator("h1")).ToHaveTextAsync("Email confirmed");
        await Expect(page.Locator("[data-sync-chip]")).Not.ToHaveTextAsync("Paused");
    }

    private static async Task RegisterAsync(IPage page, string email, string name)
    {
        await page.GotoAsync("/register");
        await page.GetByLabel("Name").FillAsync(name);
        await page.GetByLabel("Email").FillAsync(email);
        await page.GetByLabel("Password").FillAsync(Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Create account" }).ClickAsync();
    }

    private static async Task LogInAsync(IPage page, string email, string password)
    {
        if (!page.Url.Contains("/login"))
        {
            await page.GotoAsync("/login");
        }
        await page.GetByLabel("Email").FillAsync(email);
        await page.GetByLabel("Password").FillAsync(password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();
    }

    /// <summary>Links in email start at App:PublicUrl; the test server listens elsewhere, so keep path and query.</summary>
    private static string Local(string link) => new Uri(link).PathAndQuery;

    private static ILocatorAssertions Expect(ILocator locator) => Assertions.Expect(locator);

    private static IPageAssertions Expect(IPage page) => Assertions.Expect(page);
}
