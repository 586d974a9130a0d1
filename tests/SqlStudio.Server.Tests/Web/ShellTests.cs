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

    /// <summary>Each route names, per status, the codes it can answer with (status:code), so clients handle them by status.</summary>
    [Theory]
    [InlineData("/api/sync/push", "post", new[] { "400:validation_failed", "402:subscription_required", "403:device_revoked", "413:payload_too_large", "503:sync_busy" })]
    [InlineData("/api/sync/changes", "get", new[] { "400:validation_failed", "402:subscription_required", "403:device_revoked", "410:resync_required" })]
    [InlineData("/api/sync/conflicts/{conflictId}/resolve", "post", new[] { "400:validation_failed", "402:subscription_required", "404:not_found", "409:already_resolved", "503:sync_busy" })]
    [InlineData("/api/sync/import", "post", new[] { "400:validation_failed", "402:subscription_required", "409:import_undone", "413:payload_too_large", "503:sync_busy" })]
    [InlineData("/api/sync/import/{importId}", "delete", new[] { "402:subscription_required", "404:not_found", "409:already_undone", "503:sync_busy" })]
    [InlineData("/api/auth/register", "post", new[] { "400:validation_failed", "400:captcha_failed", "400:invite_invalid", "403:invite_required", "409:email_taken", "429:rate_limited" })]
    [InlineData("/api/auth/login", "post", new[] { "401:invalid_credentials", "429:rate_limited" })]
    [InlineData("/api/auth/refresh", "post", new[] { "401:token_invalid", "401:token_reused", "429:rate_limited" })]
    [InlineData("/api/auth/verify-email", "post", new[] { "400:token_invalid" })]
    [InlineData("/api/auth/reset-password", "post", new[] { "400:validation_failed", "400:token_invalid" })]
    [InlineData("/api/auth/forgot-password", "post", new[] { "400:captcha_failed", "429:rate_limited" })]
    [InlineData("/api/auth/resend-verification", "post", new[] { "400:validation_failed", "429:rate_limited" })]
    [InlineData("/api/auth/sessions/{id}", "delete", new[] { "401:unauthorized", "404:not_found" })]
    [InlineData("/api/auth/change-password", "post", new[] { "400:validation_failed", "401:unauthorized" })]
    [InlineData("/api/auth/oauth/{provider}", "get", new[] { "400:invalid_redirect_uri", "400:invalid_code_challenge", "404:not_found" })]
    [InlineData("/api/auth/oauth/exchange", "post", new[] { "400:token_invalid" })]
    [InlineData("/api/billing/create-checkout", "post", new[] { "400:validation_failed", "403:email_unverified", "409:already_subscribed", "503:billing_disabled", "503:payments_unavailable" })]
    [InlineData("/api/billing/portal", "get", new[] { "404:no_customer", "503:payments_unavailable" })]
    [InlineData("/api/webhooks/stripe", "post", new[] { "400:signature_invalid", "503:billing_disabled" })]
    [InlineData("/api/account", "delete", new[] { "401:unauthorized", "401:invalid_credentials", "401:reauthentication_required", "503:billing_unavailable" })]
    [InlineData("/api/beta/waitlist", "post", new[] { "400:validation_failed", "400:captcha_failed", "429:rate_limited" })]
    [InlineData("/api/feedback", "post", new[] { "400:validation_failed", "429:rate_limited" })]
    [InlineData("/api/onboarding/{step}/skip", "post", new[] { "404:not_found" })]
    [InlineData("/api/admin/launch", "get", new[] { "404:not_found" })]
    public async Task OpenApi_EachRoute_DeclaresTheFailuresItCanAnswer(string path, string method, string[] answers)
    {
        var document = JsonDocument.Parse(await Client.GetStringAsync("/openapi/v1.json")).RootElement;

        var responses = document.GetProperty("paths").GetProperty(path).GetProperty(method).GetProperty("responses");

        foreach (var (status, code) in answers.Select(a => (a.Split(':')[0], a.Split(':')[1])))
        {
            Assert.True(responses.TryGetProperty(status, out var answer), $"{method} {path} does not declare {status}");
            Assert.Contains($"`{code}`", answer.GetProperty("description").GetString());
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
