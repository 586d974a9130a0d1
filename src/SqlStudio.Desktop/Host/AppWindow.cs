using System.Diagnostics;

namespace SqlStudio.Desktop.Host;

/// <summary>
/// Opens the app's window: Chromium, Chrome or Edge in app mode (<c>--app=URL</c>, its own profile folder inside the data
/// folder, so it shares nothing with the user's browsing) when one is installed, else the default browser.
/// </summary>
public static class AppWindow
{
    private static readonly string[] Candidates = OperatingSystem.IsWindows()
        ?
        [
            @"C:\Program Files (x86)\Microsoft\Edge\Application\msedge.exe", @"C:\Program Files\Microsoft\Edge\Application\msedge.exe",
            @"C:\Program Files\Google\Chrome\Application\chrome.exe", @"C:\Program Files (x86)\Google\Chrome\Application\chrome.exe",
        ]
        : OperatingSystem.IsMacOS()
            ?
            [
                "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome", "/Applications/Chromium.app/Contents/MacOS/Chromium",
                "/Applications/Microsoft Edge.app/Contents/MacOS/Microsoft Edge",
            ]
            : ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome", "/usr/bin/google-chrome-stable", "/usr/bin/microsoft-edge"];

    /// <summary>The browser that can show an app window, if any (SQLSTUDIO_BROWSER overrides the search).</summary>
    public static string? FindBrowser() =>
        Environment.GetEnvironmentVariable("SQLSTUDIO_BROWSER") is { Length: > 0 } chosen ? chosen : Candidates.FirstOrDefault(File.Exists);

    /// <summary>Opens <paramref name="url"/>; a sentence for the log when nothing could be opened.</summary>
    public static string? Open(string url, string home)
    {
        try
        {
            if (FindBrowser() is { } browser)
            {
                var start = new ProcessStartInfo(browser) { UseShellExecute = false };
                start.ArgumentList.Add($"--app={url}");
                start.ArgumentList.Add($"--user-data-dir={Path.Combine(home, "window")}");
                start.ArgumentList.Add("--no-first-run");
                start.ArgumentList.Add("--no-default-browser-check");
                Process.Start(start);
                return null;
            }
            var opener = OperatingSystem.IsWindows() ? new ProcessStartInfo(url) { UseShellExecute = true }
                : new ProcessStartInfo(OperatingSystem.IsMacOS() ? "open" : "xdg-open", url) { UseShellExecute = false };
            Process.Start(opener);
            return null;
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return $"No browser could be opened ({ex.Message}). Open the address above in Chrome, Edge or Chromium.";
        }
    }
}
