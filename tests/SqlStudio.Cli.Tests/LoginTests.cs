using System.Net;
using System.Text.Json;
using SqlStudio.Testing;

namespace SqlStudio.Cli.Tests;

/// <summary><c>sqlstudio login --github|--google</c> end to end: real server, fake providers, the CLI's loopback listener.</summary>
public sealed class LoginTests : IAsyncLifetime
{
    private FakeOAuthProviders _providers = null!;
    private TestServer _server = null!;
    private readonly string _home = TestServer.NewDataDirectory();

    public async Task InitializeAsync()
    {
        _providers = await FakeOAuthProviders.StartAsync();
        _server = await TestServer.StartAsync(_providers.Configure);
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        await _providers.DisposeAsync();
    }

    [Theory]
    [InlineData("--github")]
    [InlineData("--google")]
    public async Task Login_Provider_CompletesThroughLoopbackAndSavesSession(string flag)
    {
        var email = AuthClient.NewEmail("cli");
        _providers.Next = new FakeAccount(Random.Shared.Next(1, int.MaxValue).ToString(), "cli", "Cli User", email);
        var output = new StringWriter();

        var code = await CliApp.RunAsync(["login", flag, "--server", _server.BaseAddress.ToString(), "--home", _home, "--profile", "work"],
            output, output, openBrowser: Browse);

        Assert.True(code == 0, output.ToString());
        Assert.Contains($"Signed in as {email}", output.ToString());
        Assert.Contains("/api/auth/oauth/", output.ToString());
        var path = Path.Combine(_home, "profiles", "work", "session.json");
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }
        using var saved = JsonDocument.Parse(await File.ReadAllTextAsync(path));
        var accessToken = saved.RootElement.GetProperty("tokens").GetProperty("access_token").GetString();
        var me = await new AuthClient(_server).SendAsync(HttpMethod.Get, "/api/auth/me", accessToken);
        Assert.Equal(HttpStatusCode.OK, me.StatusCode);
    }

    [Fact]
    public async Task Login_DeniedAtProvider_FailsWithReadableMessage()
    {
        _providers.Next = null;
        var output = new StringWriter();

        var code = await CliApp.RunAsync(["login", "--github", "--server", _server.BaseAddress.ToString(), "--home", _home],
            output, output, openBrowser: Browse);

        Assert.Equal(1, code);
        Assert.Contains("You declined to share your GitHub account", output.ToString());
        Assert.False(File.Exists(Path.Combine(_home, "profiles", "default", "session.json")));
    }

    [Fact]
    public async Task Login_NoProviderChosen_Fails()
    {
        var output = new StringWriter();

        var code = await CliApp.RunAsync(["login", "--server", _server.BaseAddress.ToString(), "--home", _home], output, output);

        Assert.Equal(2, code);
        Assert.Contains("--github or --google", output.ToString());
    }

    /// <summary>The "system browser": follows redirects through the server and the provider, ending at the CLI's listener.</summary>
    private static Task Browse(Uri url, CancellationToken cancellationToken)
    {
        _ = Task.Run(async () =>
        {
            using var browser = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = true });
            var next = url;
            for (var hop = 0; hop < 12; hop++)
            {
                using var response = await browser.GetAsync(next, cancellationToken);
                if ((int)response.StatusCode is < 300 or >= 400)
                {
                    return;
                }
                next = new Uri(next, response.Headers.Location!);
            }
        }, cancellationToken);
        return Task.CompletedTask;
    }
}
