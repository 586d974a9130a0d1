using System.Diagnostics;
using System.Text;

namespace SqlStudio.Testing;

/// <summary>
/// The real server executable in a process of its own, on a free loopback port, configured like <see cref="TestServer"/>
/// (the same keys, on a given data folder): for what only a separate process shows — a SIGKILL mid-work, or the
/// server's own memory and CPU.
/// </summary>
public sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();

    private ServerProcess(Process process, Uri baseAddress)
    {
        _process = process;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    public int Id => _process.Id;

    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    /// <summary>Starts the server on <paramref name="dataDirectory"/>; returns once it is ready (database migrated).</summary>
    public static async Task<ServerProcess> StartAsync(string dataDirectory, Action<TestServerOptions>? configure = null)
    {
        var options = new TestServerOptions();
        configure?.Invoke(options);
        var port = Loopback.FreePort();
        options.Settings["urls"] = $"http://127.0.0.1:{port}";
        var executable = Path.Combine(AppContext.BaseDirectory, OperatingSystem.IsWindows() ? "SqlStudio.Server.exe" : "SqlStudio.Server");
        var start = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = dataDirectory,
        };
        foreach (var (key, value) in TestServer.Settings(options, dataDirectory))
        {
            start.ArgumentList.Add($"--{key}={value}");
        }
        var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {executable}.");
        var server = new ServerProcess(process, new Uri($"http://127.0.0.1:{port}/"));
        process.OutputDataReceived += (_, e) => server.Append(e.Data);
        process.ErrorDataReceived += (_, e) => server.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await Loopback.WaitListeningAsync(port, process, "SqlStudio.Server", () => server.Log);
            using var client = new HttpClient { BaseAddress = server.BaseAddress };
            var watch = Stopwatch.StartNew();
            while (!(await client.GetAsync("/health/ready")).IsSuccessStatusCode)
            {
                if (watch.Elapsed > TimeSpan.FromSeconds(15))
                {
                    throw new TimeoutException($"SqlStudio.Server was not ready within 15 s: {server.Log}");
                }
                await Task.Delay(50);
            }
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>SIGTERM, as a deploy or `docker stop` sends it: the server shuts down gracefully. Returns the exit code.</summary>
    public async Task<int> TerminateAsync(TimeSpan within)
    {
        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!)
        {
            await kill.WaitForExitAsync();
        }
        using var limit = new CancellationTokenSource(within);
        await _process.WaitForExitAsync(limit.Token);
        return _process.ExitCode;
    }

    /// <summary>SIGKILL: no shutdown hooks, no draining — what a crash or an OOM kill does.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }
        await _process.WaitForExitAsync();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_log)
        {
            _log.AppendLine(line);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process.Dispose();
    }
}
