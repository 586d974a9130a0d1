using System.Diagnostics;

namespace SqlStudio.Testing;

/// <summary>
/// A real PostgreSQL (Debian's <c>postgresql</c>; test.sh installs it) in a temporary folder owned by the
/// <c>postgres</c> user (the server refuses root): <c>initdb</c> with password authentication, <c>pg_ctl start</c> on a
/// free loopback port, stopped and removed after the test.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    public const string User = "postgres";
    public const string Password = "pg-test-Pw-1";

    private readonly string _folder;
    private readonly string _bin;

    private PostgresServer(string folder, string bin, int port)
    {
        _folder = folder;
        _bin = bin;
        Port = port;
    }

    public int Port { get; }

    public string ConnectionString => $"Host=127.0.0.1;Port={Port};Username={User};Password={Password};Database=postgres;Pooling=false";

    public static string? BinFolder() =>
        Environment.GetEnvironmentVariable("SQLSTUDIO_PG_BIN") is { Length: > 0 } bin ? bin
        : Directory.Exists("/usr/lib/postgresql") ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin"))
            .Where(d => File.Exists(Path.Combine(d, "initdb"))).OrderByDescending(d => d, StringComparer.Ordinal).FirstOrDefault() : null;

    public static async Task<PostgresServer> StartAsync()
    {
        var bin = BinFolder() ?? throw new InvalidOperationException("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): run ./test.sh once (it installs Debian's postgresql).");
        var folder = Path.Combine(Path.GetTempPath(), "sqlstudio-pg-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(folder);
        await RunAsync("chown", ["-R", "postgres:postgres", folder]);
        var passwordFile = Path.Combine(folder, "pw");
        await File.WriteAllTextAsync(passwordFile, Password);
        await RunAsync("chown", ["postgres:postgres", passwordFile]);
        var data = Path.Combine(folder, "data");
        await AsPostgresAsync(Path.Combine(bin, "initdb"), ["-D", data, "-U", User, "--pwfile", passwordFile, "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--no-sync"]);
        var port = Loopback.FreePort();
        await AsPostgresAsync(Path.Combine(bin, "pg_ctl"),
            ["-D", data, "-l", Path.Combine(folder, "log"), "-w", "-t", "60", "-o", $"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off", "start"]);
        return new PostgresServer(folder, bin, port);
    }

    private static Task AsPostgresAsync(string file, IEnumerable<string> args) => RunAsync("runuser", new[] { "-u", "postgres", "--", file }.Concat(args));

    private static async Task RunAsync(string file, IEnumerable<string> args)
    {
        var (code, output, error) = await ChildProcess.RunAsync(file, args, Path.GetTempPath(), TimeSpan.FromMinutes(2));
        if (code != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited {code}: {output}{error}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await AsPostgresAsync(Path.Combine(_bin, "pg_ctl"), ["-D", Path.Combine(_folder, "data"), "-m", "immediate", "-w", "stop"]);
        }
        catch (InvalidOperationException)
        {
            // Already stopped.
        }
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
