using Microsoft.Playwright;

namespace SqlStudio.Desktop.Tests;

/// <summary>Debian's Chromium driven by Playwright (never a downloaded browser), on the app's launch link.</summary>
public sealed class AppBrowser : IAsyncDisposable
{
    private readonly IPlaywright _playwright;

    private AppBrowser(IPlaywright playwright, IBrowser browser)
    {
        _playwright = playwright;
        Browser = browser;
    }

    public IBrowser Browser { get; }

    public static string ChromiumPath => Environment.GetEnvironmentVariable("CHROMIUM_PATH") ?? "/usr/bin/chromium";

    public static async Task<AppBrowser> StartAsync()
    {
        // The suites run side by side on two cores in CI: an assertion fails only after 15 s of not holding (not 5).
        Assertions.SetDefaultExpectTimeout(15_000);
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run", "--disable-component-update"],
        });
        return new AppBrowser(playwright, browser);
    }

    /// <summary>Opens the app as its window would: the launch link, then the workbench with its editor ready.</summary>
    public async Task<IPage> OpenAsync(string launchUrl, int width = 1280, int height = 820)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = width, Height = height },
            AcceptDownloads = true,
        });
        var page = await context.NewPageAsync();
        await page.GotoAsync(launchUrl);
        // The workbench's component has the SQL editor (the first paint's text box, then the editor, come before it).
        await page.WaitForFunctionAsync("() => performance.getEntriesByName('sqlstudio:editor-create').length > 0", null,
            new() { Timeout = 30_000 });
        return page;
    }

    /// <summary>With SQLSTUDIO_SCREENSHOTS set to a folder, a full-page picture of what the test sees (for a person to look at).</summary>
    public static async Task ShotAsync(IPage page, string name)
    {
        if (Environment.GetEnvironmentVariable("SQLSTUDIO_SCREENSHOTS") is { Length: > 0 } folder)
        {
            Directory.CreateDirectory(folder);
            await page.ScreenshotAsync(new() { Path = Path.Combine(folder, name + ".png") });
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Browser.CloseAsync();
        _playwright.Dispose();
    }
}
