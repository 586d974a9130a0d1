using SqlStudio.Testing;
using System.Net;
using System.Net.WebSockets;
using System.Text.RegularExpressions;

namespace SqlStudio.Desktop.Tests;

/// <summary>
/// The local server is an attack surface (docs/desktop.md "Security"): each guard proven on its own against the real app
/// process — cookie required, one-time launch token, Host check, WebSocket Origin check, antiforgery, strict CSP, no CORS.
/// </summary>
public sealed partial class LocalServerSecurityTests : IClassFixture<DesktopFixture>
{
    private readonly DesktopFixture _fixture;

    public LocalServerSecurityTests(DesktopFixture fixture) => _fixture = fixture;

    private DesktopProcess App => _fixture.App;

    private static HttpClient Client(CookieContainer? cookies = null) =>
        new(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = cookies ?? new CookieContainer(), UseCookies = true });

    private async Task<(HttpClient Client, CookieContainer Cookies)> SignedInAsync()
    {
        var cookies = new CookieContainer();
        var client = Client(cookies);
        var launch = await client.GetAsync(await App.NewLaunchUrlAsync());
        Assert.Equal(HttpStatusCode.OK, launch.StatusCode);
        return (client, cookies);
    }

    [Fact]
    public async Task APortAlreadyTaken_IsASentence_ExitCode1_NoLaunchLine()
    {
        var start = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { DesktopProcess.Dll, "--home", DesktopProcess.NewHome(), "--no-window", "--port", App.Port.ToString(System.Globalization.CultureInfo.InvariantCulture) })
        {
            start.ArgumentList.Add(arg);
        }
        using var second = System.Diagnostics.Process.Start(start)!;
        var output = second.StandardOutput.ReadToEndAsync();
        var error = await second.StandardError.ReadToEndAsync();
        await second.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(1, second.ExitCode);
        Assert.Equal("", await output);
        Assert.Matches($@"^SQL Studio cannot listen on 127\.0\.0\.1:{App.Port}: [^\n]+\. Try another --port, or 0 for a free one\.\s*$", error);
    }

    [Fact]
    public async Task Request_WithoutSessionCookie_IsRefused()
    {
        using var client = Client();

        var page = await client.GetAsync(App.BaseUrl + "/");
        var asset = await client.GetAsync(App.BaseUrl + "/app.css");
        var negotiate = await client.PostAsync(App.BaseUrl + "/_blazor/negotiate?negotiateVersion=1", null);

        Assert.Equal(HttpStatusCode.Unauthorized, page.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, asset.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, negotiate.StatusCode);
        Assert.Contains("launcher", await page.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task LaunchToken_WorksOnce_AndBuysAStrictHttpOnlyCookie()
    {
        var url = await App.NewLaunchUrlAsync();
        using var first = Client();
        using var second = Client();

        var used = await first.GetAsync(url);
        var reused = await second.GetAsync(url);
        var forged = await second.GetAsync(App.BaseUrl + "/launch?token=" + new string('0', 64));

        // The page itself (no redirect to it), never cached, and it takes the token out of its address at once.
        Assert.Equal(HttpStatusCode.OK, used.StatusCode);
        Assert.True(used.Headers.CacheControl?.NoStore, $"Cache-Control: {used.Headers.CacheControl}");
        Assert.Contains("<script>" + Components.InlineScripts.LaunchAddress + "</script>", await used.Content.ReadAsStringAsync());
        var cookie = Assert.Single(used.Headers.GetValues("Set-Cookie"), c => c.StartsWith("sqlstudio_session=", StringComparison.Ordinal));
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(HttpStatusCode.Forbidden, reused.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, forged.StatusCode);
        Assert.False(reused.Headers.Contains("Set-Cookie"));
    }

    [Theory]
    [InlineData("evil.example")]
    [InlineData("attacker.test:{port}")]
    [InlineData("127.0.0.1.nip.io:{port}")]
    [InlineData("localhost")]
    public async Task ForeignHostHeader_400_EvenWithTheSession(string host)
    {
        var (client, _) = await SignedInAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, App.BaseUrl + "/");
        request.Headers.Host = host.Replace("{port}", App.Port.ToString(), StringComparison.Ordinal);

        var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task CircuitWebSocket_FromAnotherOrigin_IsRefused_FromItsOwnIsNot()
    {
        var (_, cookies) = await SignedInAsync();

        var foreign = await OpenSocketAsync(cookies, "http://evil.example");
        var missing = await OpenSocketAsync(cookies, null);
        var own = await OpenSocketAsync(cookies, App.BaseUrl);

        Assert.Equal(HttpStatusCode.Forbidden, foreign);
        Assert.Equal(HttpStatusCode.Forbidden, missing);
        Assert.NotEqual(HttpStatusCode.Forbidden, own);
        Assert.NotEqual(HttpStatusCode.Unauthorized, own);
    }

    private async Task<HttpStatusCode> OpenSocketAsync(CookieContainer cookies, string? origin)
    {
        using var socket = new ClientWebSocket();
        socket.Options.Cookies = cookies;
        socket.Options.CollectHttpResponseDetails = true;
        if (origin is not null)
        {
            socket.Options.SetRequestHeader("Origin", origin);
        }
        try
        {
            await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{App.Port}/_blazor?id=none"), CancellationToken.None);
            return HttpStatusCode.SwitchingProtocols;
        }
        catch (WebSocketException)
        {
            return socket.HttpStatusCode;
        }
    }

    [Fact]
    public async Task FormPost_WithoutAntiforgeryToken_IsRefused()
    {
        var (client, _) = await SignedInAsync();

        var response = await client.PostAsync(App.BaseUrl + "/", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "connection", ["_form.Name"] = "planted",
        }));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Pages_CarryAStrictCsp_NoInlineScriptButByItsHash_NoCors()
    {
        var (client, _) = await SignedInAsync();
        using var preflight = new HttpRequestMessage(HttpMethod.Options, App.BaseUrl + "/");
        preflight.Headers.Add("Origin", "http://evil.example");
        preflight.Headers.Add("Access-Control-Request-Method", "POST");

        var page = await client.GetAsync(App.BaseUrl + "/");
        var html = await page.Content.ReadAsStringAsync();
        var cors = await client.SendAsync(preflight);

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var csp = string.Join(";", page.Headers.GetValues("Content-Security-Policy"));
        // Scripts from the app itself, and inline only what the policy names by its hash (the first paint's text box).
        var scriptSources = csp.Split("script-src ")[1].Split(';')[0].Split(' ');
        Assert.Equal("'self'", scriptSources[0]);
        Assert.All(scriptSources.Skip(1), source => Assert.StartsWith("'sha256-", source));
        Assert.Contains("frame-ancestors 'none'", csp);
        var inline = InlineScript().Matches(html).Select(m => m.Groups["body"].Value).ToList();
        Assert.NotEmpty(inline);
        Assert.All(inline, body => Assert.Contains(
            $"'sha256-{Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(body)))}'", scriptSources));
        Assert.Equal(ScriptTag().Matches(html).Count, ScriptTag().Matches(html).Count(tag => tag.Value.Contains("src=")) + inline.Count);
        Assert.False(cors.Headers.Contains("Access-Control-Allow-Origin"));
        Assert.False(page.Headers.Contains("Access-Control-Allow-Origin"));
    }

    [GeneratedRegex("<script[^>]*>")]
    private static partial Regex ScriptTag();

    [GeneratedRegex("<script>(?<body>.*?)</script>", RegexOptions.Singleline)]
    private static partial Regex InlineScript();
}
