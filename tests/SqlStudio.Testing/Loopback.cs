using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace SqlStudio.Testing;

/// <summary>Free loopback ports for the real servers the tests start, and waiting until one listens.</summary>
public static class Loopback
{
    public static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    /// <summary>Returns once <paramref name="port"/> accepts a connection; fails if <paramref name="process"/> (when given) exits or 15 s pass.</summary>
    public static async Task WaitListeningAsync(int port, Process? process, string name, Func<string>? log = null)
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < TimeSpan.FromSeconds(15))
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException)
            {
                if (process is { HasExited: true })
                {
                    throw new InvalidOperationException($"{name} exited with {process.ExitCode}: {log?.Invoke()}");
                }
                await Task.Delay(20);
            }
        }
        process?.Kill(entireProcessTree: true);
        throw new TimeoutException($"{name} did not listen on port {port} within 15 s.");
    }
}
