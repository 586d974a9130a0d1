using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using SqlStudio.Testing;

namespace SqlStudio.Server.Tests.Web;

public sealed class ShellTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private HttpClient Client => fixture.Client;

    [Fact]
    public async Task Landing_Get_SaysWhatItIsWithSignUpAndLogIn()
    {
        var html = await Client.GetStringAsync("/");

        Assert.Contains("SQL Studio Cloud", html);
        Assert.Contains("href=\"/register\"", html);
        Assert.Contains("href=\"/login\"", html);
        Assert.Contains("lib/pico/pico.min.css", html);
        Assert.Contains("width=device-width", html);
    }

    [Fact]
    public async Task Stylesheets_AreServed()
    {
        var pico = await Client.GetAsync("/lib/pico/pico.min.css");
        var site = await Client.GetAsync("/css/site.css");

        Assert.Equal(HttpStatusCode.OK, pico.StatusCode);
        Assert.Equal("text/css", pico.Content.Headers.ContentType?.MediaType);
        Assert.True((await pico.Content.ReadAsByteArrayAsync()).Length > 10_000);
        Assert.Equal(HttpStatusCode.OK, site.StatusCode);
    }

    [Fact]
    public async Task StaticFiles_AreFingerprinted_CachedAYear_AndCompressed()
    {
        var html = await Client.GetStringAsync("/");
        var link = System.Text.RegularExpressions.Regex.Match(html, "href=\"(css/site\\.css\\?v=[0-9a-f]{16})\"").Groups[1].Value;
        // No automatic decompression: the Content-Encoding the server chose stays visible.
        using var raw = new HttpClient { BaseAddress = fixture.Server.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/" + link);
        request.Headers.AcceptEncoding.ParseAdd("br, gzip");

        using var fingerprinted = await raw.SendAsync(request);
        using var plain = await raw.GetAsync("/css/site.css");

        Assert.NotEqual("", link);
        Assert.Equal(HttpStatusCode.OK, fingerprinted.StatusCode);
        Assert.Equal("public, max-age=31536000, immutable", fingerprinted.Headers.CacheControl?.ToString());
        Assert.Contains(fingerprinted.Content.Headers.ContentEncoding, e => e is "br" or "gzip");
        Assert.Equal("public, max-age=300", plain.Headers.CacheControl?.ToString());
        Assert.Empty(plain.Content.Headers.ContentEncoding);
    }

    [Fact]
    public async Task HealthReady_Migrated_Returns200Healthy()
    {
        var response = await Client.GetAsync("/health/ready");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("healthy", body.GetProperty("status").GetString());
        Assert.Equal("healthy", body.GetProperty("checks").GetProperty("database").GetProperty("status").GetString());
    }

    [Fact]
    public async Task HealthLive_Returns200()
    {
        var response = await Client.GetAsync("/health/live");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task OpenApi_IsValidJsonDocument()
    {
        var response = await Client.GetAsync("/openapi/v1.json");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.StartsWith("3.", document.GetProperty("openapi").GetString());
        Assert.Equal("SQL Studio Cloud API", document.GetProperty("info").GetProperty("title").GetString());
        Assert.Equal(JsonValueKind.Object, document.GetProperty("paths").ValueKind);
    }

    [Theory]
    [InlineData("/api/sync/push", "post", new[] { "400", "402", "403", "413", "503" })]
    [InlineData("/api/sync/changes", "get", new[] { "400", "402", "403", "410" })]
    [InlineData("/api/sync/conflicts/{conflictId}/resolve", "post", new[] { "400", "402", "404", "409", "503" })]
    [InlineData("/api/sync/import", "post", new[] { "400", "402", "409", "413", "503" })]
    [InlineData("/api/sync/import/{importId}", "delete", new[] { "402", "404", "409", "503" })]
    public async Task OpenApi_EachRoute_DeclaresTheFailuresItCanAnswer(string path, string method, string[] statuses)
    {
        var document = JsonDocument.Parse(await Client.GetStringAsync("/openapi/v1.json")).RootElement;

        var responses = document.GetProperty("paths").GetProperty(path).GetProperty(method).GetProperty("responses");

        foreach (var status in statuses)
        {
            Assert.True(responses.TryGetProperty(status, out var answer), $"{method} {path} does not declare {status}");
            Assert.Contains("`", answer.GetProperty("description").GetString());
        }
    }

    [Fact]
    public async Task ApiReference_ServesPageAndItsScript()
    {
        var client = fixture.Server.CreateClient(followRedirects: true);

        var page = await client.GetAsync("/docs/api");
        var script = await client.GetAsync("/docs/api/scalar.js");

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("SQL Studio Cloud API", await page.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, script.StatusCode);
    }

    [Fact]
    public async Task Responses_CarrySecurityHeaders()
    {
        var response = await Client.GetAsync("/");

        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Contains("frame-ancestors 'none'", response.Headers.GetValues("Content-Security-Policy").Single());
        Assert.False(response.Headers.Contains("Server"));
    }
}
