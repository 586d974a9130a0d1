using System.Diagnostics;

namespace SqlStudio.Cli.Login;

/// <summary>Opens a URL in the user's browser; where none can be opened, the printed URL is the way.</summary>
public static class SystemBrowser
{
    public static Task OpenAsync(Uri url, CancellationToken cancellationToken)
    {
        var command = OperatingSystem.IsWindows() ? "explorer" : OperatingSystem.IsMacOS() ? "open" : "xdg-open";
        try
        {
            using var process = Process.Start(new ProcessStartInfo(command, url.ToString()) { UseShellExecute = false, RedirectStandardError = true });
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // No browser launcher on this machine (a server, a container): the URL printed above still works.
        }
        return Task.CompletedTask;
    }
}
