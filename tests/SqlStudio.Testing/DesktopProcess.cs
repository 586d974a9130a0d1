using System.Diagnostics;

namespace SqlStudio.Testing;

/// <summary>
/// The desktop app as a user starts it: the built executable in its own process on a data folder of its own, with
/// <c>--no-window</c>; its launch line read from standard output. A new launch link comes from a second launch on the
/// same folder (the hand-off), as a user's second click on the icon would.
/// </summary>
public sealed class DesktopProcess : IAsyncDisposable
{
    /// <summary>The launch line's start (the desktop host's contract, docs/desktop.md).</summary>
    public const string LaunchLinePrefix = "SQL Studio is running at ";

    private readonly Process _process;
    private readonly List<string> _errors = [];

    private DesktopProcess(Process process, string home, string launchUrl)
    {
        _process = process;
        Home = home;
        LaunchUrl = launchUrl;
        BaseUrl = new Uri(launchUrl).GetLeftPart(UriPartial.Authority);
    }

    public string Home { get; }
    public string LaunchUrl { get; }
    public string BaseUrl { get; }
    public int Port => new Uri(BaseUrl).Port;
    public Process Process => _process;

    public static string Dll
    {
        get
        {
            var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}") ? "Release" : "Debug";
            return Path.Combine(Repository.Root, "src", "SqlStudio.Desktop", "bin", configuration, "net10.0", "sqlstudio-desktop.dll");
        }
    }

    public static async Task<DesktopProcess> StartAsync(string? home = null, params string[] more)
    {
        home ??= NewHome();
        return FromLaunch(home, await LaunchAsync(home, more));
    }

    /// <summary>
    /// The app as a person starts it: no <c>--no-window</c>, so the host opens its own window with
    /// <paramref name="browser"/> (SQLSTUDIO_BROWSER, a program given the host's window arguments).
    /// </summary>
    public static async Task<DesktopProcess> StartWithWindowAsync(string home, string browser) =>
        FromLaunch(home, await LaunchAsync(home, [], window: browser));

    private static DesktopProcess FromLaunch(string home, (Process Process, string? Line, List<string> Errors) launched)
    {
        var (process, line, errors) = launched;
        if (line is null)
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"The desktop app printed no launch line. Its errors: {string.Join('\n', errors)}");
        }
        var app = new DesktopProcess(process, home, line);
        app._errors.AddRange(errors);
        return app;
    }

    public static string NewHome() => Path.Combine(TestServer.NewDataDirectory(), "desktop-home");

    /// <summary>A second launch on the same data folder: the running app hands out a new launch link and this process exits.</summary>
    public async Task<(string? Url, int ExitCode)> LaunchAgainAsync()
    {
        var (process, line, _) = await LaunchAsync(Home, []);
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        return (line, process.ExitCode);
    }

    public async Task<string> NewLaunchUrlAsync() =>
        (await LaunchAgainAsync()).Url ?? throw new InvalidOperationException("The second launch printed no launch link.");

    private static readonly List<Process> Started = [];

    static DesktopProcess()
    {
        // A test that fails before it stops its app must not leave the app running after the test run.
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            lock (Started)
            {
                foreach (var process in Started)
                {
                    try
                    {
                        if (!process.HasExited)
                        {
                            process.Kill(entireProcessTree: true);
                        }
                    }
                    catch (InvalidOperationException)
                    {
                    }
                }
            }
        };
    }

    private static async Task<(Process Process, string? Line, List<string> Errors)> LaunchAsync(string home, IEnumerable<string> more, string? window = null)
    {
        // SQLSTUDIO_DESKTOP_EXE: a published app (self-contained, ReadyToRun) instead of the build output's dll.
        var published = Environment.GetEnvironmentVariable("SQLSTUDIO_DESKTOP_EXE") is { Length: > 0 } exe ? exe : null;
        var start = new ProcessStartInfo(published ?? "dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in (published is null ? new[] { Dll } : []).Concat(window is null ? ["--home", home, "--no-window"] : ["--home", home]).Concat(more))
        {
            start.ArgumentList.Add(arg);
        }
        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        if (window is not null)
        {
            start.Environment["SQLSTUDIO_BROWSER"] = window;
        }
        var process = Process.Start(start)!;
        lock (Started)
        {
            Started.Add(process);
        }
        var errors = new List<string>();
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (errors)
                {
                    errors.Add(e.Data);
                }
            }
        };
        process.BeginErrorReadLine();
        var read = process.StandardOutput.ReadLineAsync();
        string? line = null;
        if (await Task.WhenAny(read, Task.Delay(TimeSpan.FromSeconds(60))) == read && await read is { } text && text.StartsWith(LaunchLinePrefix, StringComparison.Ordinal))
        {
            line = text[LaunchLinePrefix.Length..];
        }
        return (process, line, errors);
    }

    /// <summary>The host's resident memory now (Linux: VmRSS of /proc), in bytes.</summary>
    public long ResidentBytes()
    {
        var line = File.ReadLines($"/proc/{_process.Id}/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
    }

    public async Task StopAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
    }

    private bool _disposed;

    /// <summary>Stops the app (SIGKILL: what it wrote must already be safe) once; a second call does nothing.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        await StopAsync();
        _process.Dispose();
    }
}
