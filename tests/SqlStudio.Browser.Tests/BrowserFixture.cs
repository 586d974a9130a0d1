using Microsoft.Playwright;
using SqlStudio.Testing;

namespace SqlStudio.Browser.Tests;

/// <summary>
/// A real server and Debian's Chromium, driven by Playwright. Playwright never downloads a browser here: it
/// launches the system one (<c>/usr/bin/chromium</c>, or <c>CHROMIUM_PATH</c>), which the test command installs.
/// </summary>
public class BrowserFixture : IAsyncLifetime
{
    private IPlaywright? _playwright;

    public TestServer Server { get; private set; } = null!;

    public IBrowser Browser { get; private set; } = null!;

    public static string ChromiumPath => Environment.GetEnvironmentVariable("CHROMIUM_PATH") ?? "/usr/bin/chromium";

    public async Task InitializeAsync()
    {
        Server = await StartServerAsync();
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args =
            [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic",
                "--no-first-run", "--disable-component-update", "--disable-sync",
            ],
        });
    }

    protected virtual Task<TestServer> StartServerAsync() => TestServer.StartAsync();

    /// <summary>A fresh browser context (own cookies and storage) at the given viewport.</summary>
    public async Task<IPage> NewPageAsync(int width = 1280, int height = 800, TestServer? server = null)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = (server ?? Server).BaseAddress.ToString(),
            ViewportSize = new ViewportSize { Width = width, Height = height },
        });
        // The suites run side by side on two cores in CI, where a page as heavy as the API reference (1.4 MB of script)
        // has taken more than Playwright's default 30 s to fire "load"; a slow machine fails a test only past these.
        context.SetDefaultNavigationTimeout(90_000);
        context.SetDefaultTimeout(60_000);
        return await context.NewPageAsync();
    }

    public virtual async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.CloseAsync();
        }
        _playwright?.Dispose();
        if (Server is not null)
        {
            await Server.DisposeAsync();
        }
    }
}
