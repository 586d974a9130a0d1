using System.Diagnostics;

namespace SqlStudio.Testing;

/// <summary>
/// A real <c>redis-server</c> (Debian's package; test.sh installs it) on a free loopback port, without persistence,
/// stopped after the test. <see cref="StopAsync"/> kills it mid-test to prove the fallbacks.
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    private readonly Process _process;

    private RedisServer(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    /// <summary>The <c>Notifications:Redis</c> connection string.</summary>
    public string ConnectionString => $"127.0.0.1:{Port}";

    public static string BinaryPath => Environment.GetEnvironmentVariable("SQLSTUDIO_REDIS") is { Length: > 0 } path ? path : "/usr/bin/redis-server";

    public static async Task<RedisServer> StartAsync()
    {
        if (!File.Exists(BinaryPath))
        {
            throw new InvalidOperationException($"redis-server is not installed at {BinaryPath}: run ./test.sh once (it installs Debian's redis-server).");
        }
        var port = Loopback.FreePort();
        var start = new ProcessStartInfo(BinaryPath) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { "--port", port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "yes" })
        {
            start.ArgumentList.Add(arg);
        }
        var process = Process.Start(start)!;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await Loopback.WaitListeningAsync(port, process, "redis-server");
        return new RedisServer(process, port);
    }

    public async Task StopAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _process.Dispose();
    }
}
