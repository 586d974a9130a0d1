using System.Diagnostics;

namespace SqlStudio.Testing;

/// <summary>
/// A real MariaDB (Debian's <c>mariadb-server</c>; test.sh installs it): <c>mariadb-install-db</c> into a temporary
/// folder, <c>mariadbd</c> on a free loopback port and its own socket, a user with a password for the tests, stopped and
/// removed after the test.
/// </summary>
public sealed class MariaDbServer : IAsyncDisposable
{
    public const string User = "studio";
    public const string Password = "maria-test-Pw-1";
    public const string Database = "shop";

    private readonly Process _process;
    private readonly string _folder;

    private MariaDbServer(Process process, string folder, int port)
    {
        _process = process;
        _folder = folder;
        Port = port;
    }

    public int Port { get; }

    public string ConnectionString => $"Server=127.0.0.1;Port={Port};User ID={User};Password={Password};Database={Database};Pooling=false";

    public static async Task<MariaDbServer> StartAsync()
    {
        if (!File.Exists("/usr/sbin/mariadbd") || !File.Exists("/usr/bin/mariadb-install-db"))
        {
            throw new InvalidOperationException("MariaDB is not installed (/usr/sbin/mariadbd): run ./test.sh once (it installs Debian's mariadb-server).");
        }
        var folder = Path.Combine(Path.GetTempPath(), "sqlstudio-maria-" + Guid.NewGuid().ToString("N")[..10]);
        var data = Path.Combine(folder, "data");
        Directory.CreateDirectory(data);
        var (code, output, error) = await ChildProcess.RunAsync("/usr/bin/mariadb-install-db",
            ["--no-defaults", $"--datadir={data}", "--user=root", "--auth-root-authentication-method=socket", "--skip-test-db"], folder, TimeSpan.FromMinutes(3));
        if (code != 0)
        {
            throw new InvalidOperationException($"mariadb-install-db exited {code}: {output}{error}");
        }
        var port = Loopback.FreePort();
        var socket = Path.Combine(folder, "mariadb.sock");
        var start = new ProcessStartInfo("/usr/sbin/mariadbd") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[]
                 {
                     "--no-defaults", $"--datadir={data}", "--user=root", $"--port={port}", $"--socket={socket}", "--bind-address=127.0.0.1",
                     $"--pid-file={Path.Combine(folder, "mariadb.pid")}", "--skip-log-bin", "--innodb-buffer-pool-size=64M", "--skip-name-resolve",
                     "--innodb-flush-log-at-trx-commit=0",
                 })
        {
            start.ArgumentList.Add(arg);
        }
        var process = Process.Start(start)!;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await Loopback.WaitListeningAsync(port, process, "mariadbd");
        (code, output, error) = await ChildProcess.RunAsync("/usr/bin/mariadb", ["--no-defaults", $"--socket={socket}", "-u", "root", "-e",
            $"CREATE DATABASE {Database}; CREATE USER '{User}'@'127.0.0.1' IDENTIFIED BY '{Password}'; GRANT ALL ON *.* TO '{User}'@'127.0.0.1'; FLUSH PRIVILEGES;"],
            folder, TimeSpan.FromMinutes(1));
        if (code != 0)
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"Setting up MariaDB's test user failed ({code}): {output}{error}");
        }
        return new MariaDbServer(process, folder, port);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
