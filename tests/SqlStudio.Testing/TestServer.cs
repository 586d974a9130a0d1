using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Time.Testing;
using SqlStudio.Server;

namespace SqlStudio.Testing;

/// <summary>What a test may change about the server it starts.</summary>
public sealed class TestServerOptions
{
    /// <summary>Configuration keys as in docs/configuration.md, e.g. <c>["Auth:AccessTokenLifetime"] = "00:00:05"</c>.</summary>
    public Dictionary<string, string?> Settings { get; } = new();

    /// <summary>When set, the server's clock: the test moves time instead of waiting for it.</summary>
    public FakeTimeProvider? Time { get; set; }

    /// <summary>Extra endpoints (e.g. one that throws), mapped before the pages.</summary>
    public Action<WebApplication>? MapMore { get; set; }

    /// <summary>Use this data folder instead of a new one (to restart a server on the same database).</summary>
    public string? DataDirectory { get; set; }

    /// <summary>
    /// A second instance of <paramref name="first"/>: the same data folder (signing keys, data protection keys, the
    /// embedded file) and, on libSQL, the same libsql-server, as several instances behind a load balancer share them.
    /// </summary>
    public void SameDatabaseAs(TestServer first)
    {
        DataDirectory = first.DataDirectory;
        UseSqld(first.Sqld);
    }

    /// <summary>The database on this libsql-server (nothing changes when it is null: the embedded file).</summary>
    public void UseSqld(SqldServer? sqld)
    {
        if (sqld is not null)
        {
            Settings["Database:Provider"] = "libsql";
            Settings["Database:Url"] = sqld.Url;
            Settings["Database:AuthToken"] = sqld.Token;
        }
    }
}

/// <summary>
/// The real server, in this process, listening on a free loopback port with a data folder of its own, so no
/// test sees another's data.
/// </summary>
public sealed class TestServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly bool _ownsData;

    /// <summary>
    /// Set <c>SQLSTUDIO_TEST_DB=libsql</c> to run every server test against the libSQL provider: the server then
    /// speaks Hrana over loopback HTTP to a real libsql-server (<see cref="SqldServer"/>, with JWT auth) of its own.
    /// </summary>
    public static bool UseLibSql => string.Equals(Environment.GetEnvironmentVariable("SQLSTUDIO_TEST_DB"), "libsql", StringComparison.OrdinalIgnoreCase);

    private TestServer(WebApplication app, string dataDirectory, bool ownsData, Uri baseAddress, SqldServer? sqld)
    {
        _app = app;
        Sqld = sqld;
        _ownsData = ownsData;
        DataDirectory = dataDirectory;
        BaseAddress = baseAddress;
        Client = CreateClient();
    }

    /// <summary>What the server puts in links it sends: deliberately not the address it listens on.</summary>
    public const string PublicUrl = "http://sqlstudio.test";

    public string DataDirectory { get; }

    public Mailbox Mailbox => new(Path.Combine(DataDirectory, "mail"));

    /// <summary>The SQLite file holding the server's data: its own, or the one behind sqld.</summary>
    public string DatabasePath => Sqld?.DatabaseFile ?? Path.Combine(DataDirectory, "sqlstudio.db");

    public Uri BaseAddress { get; }

    public HttpClient Client { get; }

    public IServiceProvider Services => _app.Services;

    /// <summary>The configuration that points an operator command (<c>OperatorCommands.RunAsync</c>) at this server's database.</summary>
    public string[] OperatorArgs => Sqld is { } sqld
        ? ["--Database:Provider=libsql", $"--Database:Url={sqld.Url}", $"--Database:AuthToken={sqld.Token}"]
        : [$"--Database:Path={DatabasePath}"];

    /// <summary>The libsql-server this server's database is on, when running on the libSQL provider.</summary>
    public SqldServer? Sqld { get; }

    public static async Task<TestServer> StartAsync(Action<TestServerOptions>? configure = null)
    {
        var options = new TestServerOptions();
        configure?.Invoke(options);
        var ownsData = options.DataDirectory is null;
        var dataDirectory = options.DataDirectory ?? NewDataDirectory();
        SqldServer? sqld = null;
        if (UseLibSql && !options.Settings.ContainsKey("Database:Provider"))
        {
            sqld = await SqldServer.StartAsync(dataDirectory);
            options.UseSqld(sqld);
        }
        try
        {
            var app = Build(options, dataDirectory);
            await app.StartAsync();
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!
                .Addresses.First();
            return new TestServer(app, dataDirectory, ownsData, new Uri(address), sqld);
        }
        catch
        {
            if (sqld is not null)
            {
                await sqld.DisposeAsync();
            }
            throw;
        }
    }

    /// <summary>Builds the server without starting it, for tests about start-up itself.</summary>
    public static WebApplication Build(TestServerOptions options, string dataDirectory)
    {
        var args = Settings(options, dataDirectory).Select(s => $"--{s.Key}={s.Value}").ToArray();
        var builder = ServerApp.CreateBuilder(args);
        if (options.Time is { } time)
        {
            builder.Services.Replace(ServiceDescriptor.Singleton<TimeProvider>(time));
        }
        return ServerApp.Build(builder, options.MapMore);
    }

    /// <summary>The configuration a test server runs with: its own data folder, test-sized costs, then the test's own keys.</summary>
    public static Dictionary<string, string?> Settings(TestServerOptions options, string dataDirectory)
    {
        var settings = new Dictionary<string, string?>
        {
            ["urls"] = "http://127.0.0.1:0",
            ["Database:Path"] = Path.Combine(dataDirectory, "sqlstudio.db"),
            ["App:PublicUrl"] = PublicUrl,
            ["Email:PickupDirectory"] = Path.Combine(dataDirectory, "mail"),
            ["Auth:SigningKeyPath"] = Path.Combine(dataDirectory, "keys", "signing.pem"),
            ["Captcha:Altcha:KeyPath"] = Path.Combine(dataDirectory, "keys", "altcha.key"),
            // Tests hash many passwords; the production cost (210,000) is proven by its own test.
            ["Auth:PasswordIterations"] = "1000",
            ["Captcha:Provider"] = "none",
            ["Database:ReportRoundTrips"] = "true",
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:Microsoft.Hosting.Lifetime"] = "Warning",
            ["Logging:LogLevel:Microsoft.AspNetCore.Diagnostics.ExceptionHandlerMiddleware"] = "None",
        };
        foreach (var rule in new[] { "Register", "Login", "ForgotPassword", "ForgotPasswordAccount", "ResendVerification", "ResendVerificationFromIp", "Refresh" })
        {
            // Every test class shares 127.0.0.1; the limits themselves are proven by their own tests.
            settings[$"RateLimits:{rule}:PermitLimit"] = "100000";
        }
        foreach (var (key, value) in options.Settings)
        {
            settings[key] = value;
        }
        return settings;
    }

    public static string NewDataDirectory()
    {
        var path = Path.Combine(Path.GetTempPath(), "sqlstudio-tests", Guid.CreateVersion7().ToString("N"));
        Directory.CreateDirectory(path);
        return path;
    }

    /// <summary>A client of its own (its own cookies), pointed at this server.</summary>
    public HttpClient CreateClient(bool followRedirects = false) =>
        new(new HttpClientHandler { AllowAutoRedirect = followRedirects, UseCookies = true })
        {
            BaseAddress = BaseAddress,
        };

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        if (Sqld is not null)
        {
            await Sqld.DisposeAsync();
        }
        // (The host's SQLite provider closed its own pooled connections; clearing every pool here would close those of
        // servers other tests are still using, and their WAL files with them.)
        if (_ownsData)
        {
            try
            {
                Directory.Delete(DataDirectory, recursive: true);
            }
            catch (IOException)
            {
                // A file still open elsewhere; the temp folder is cleaned by the OS.
            }
        }
    }
}

/// <summary>One server per test class (xunit's class fixture): a fresh database for every class.</summary>
public sealed class ServerFixture : Xunit.IAsyncLifetime
{
    private TestServer? _server;

    public TestServer Server => _server ?? throw new InvalidOperationException("The server has not started.");

    public HttpClient Client => Server.Client;

    public async Task InitializeAsync() => _server = await TestServer.StartAsync();

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}

/// <summary>One server with a fake clock shared by a test class whose tests only read the time (tests that move it derive from <see cref="OwnTimedServer"/>).</summary>
public sealed class TimedServerFixture : OwnTimedServer;

/// <summary>
/// For a test class whose tests move time: each test gets its own server and clock (xUnit makes a new instance per
/// test), so a test that advances the clock never moves another's.
/// </summary>
public abstract class OwnTimedServer : Xunit.IAsyncLifetime
{
    private TestServer? _server;

    public FakeTimeProvider Time { get; } = new(DateTimeOffset.UtcNow);

    public TestServer Server => _server ?? throw new InvalidOperationException("The server has not started.");

    public async Task InitializeAsync() => _server = await TestServer.StartAsync(o => o.Time = Time);

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}

