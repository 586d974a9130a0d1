using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SqlStudio.Testing;

namespace SqlStudio.Server.Tests.Web;

public sealed class ErrorHandlingServer : IAsyncLifetime
{
    public sealed record Echo(string Text, int Count);

    public TestServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await TestServer.StartAsync(o =>
    {
        o.Settings["Server:MaxRequestBodyBytes"] = "1024";
        o.MapMore = app =>
        {
            app.MapPost("/test/echo", (Echo echo) => echo);
            app.MapGet("/test/throw", string () => throw new InvalidOperationException("secret detail: connection string Password=hunter2"));
        };
    });

    public async Task DisposeAsync() => await Server.DisposeAsync();
}

/// <summary>Every failure answers RFC 9457 Problem Details with a <c>code</c>, never a stack trace.</summary>
public sealed class ErrorHandlingTests(ErrorHandlingServer fixture) : IClassFixture<ErrorHandlingServer>
{
    private HttpClient Client => fixture.Server.Client;

    [Fact]
    public async Task UnknownRoute_Returns404Problem()
    {
        var response = await Client.GetAsync("/api/no-such-thing");

        var problem = await AssertProblemAsync(response, HttpStatusCode.NotFound, "not_found");
        Assert.Equal(404, problem.GetProperty("status").GetInt32());
    }

    [Fact]
    public async Task WrongMethod_Returns405Problem()
    {
        var response = await Client.DeleteAsync("/test/echo");

        await AssertProblemAsync(response, HttpStatusCode.MethodNotAllowed, "method_not_allowed");
    }

    [Fact]
    public async Task MalformedJson_Returns400Problem()
    {
        var response = await Client.PostAsync("/test/echo", new StringContent("{\"text\": \"a\", ", Encoding.UTF8, "application/json"));

        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "malformed_json");
    }

    [Fact]
    public async Task WrongContentType_Returns415Problem()
    {
        var response = await Client.PostAsync("/test/echo", new StringContent("text=a", Encoding.UTF8, "text/plain"));

        await AssertProblemAsync(response, HttpStatusCode.UnsupportedMediaType, "unsupported_media_type");
    }

    [Fact]
    public async Task OversizeBody_Returns413Problem()
    {
        var body = JsonSerializer.Serialize(new { text = new string('x', 4096), count = 1 });

        var response = await Client.PostAsync("/test/echo", new StringContent(body, Encoding.UTF8, "application/json"));

        await AssertProblemAsync(response, HttpStatusCode.RequestEntityTooLarge, "payload_too_large");
    }

    [Fact]
    public async Task UnknownPage_ForABrowser_IsTheBrandedHtmlPage_ForAnApiClient_ProblemDetails()
    {
        using var page = new HttpRequestMessage(HttpMethod.Get, "/no-such-page");
        page.Headers.Accept.ParseAdd("text/html,application/xhtml+xml");
        using var api = new HttpRequestMessage(HttpMethod.Get, "/api/no-such-route");
        api.Headers.Accept.ParseAdd("text/html,application/xhtml+xml");

        var html = await Client.SendAsync(page);
        var json = await Client.SendAsync(api);

        Assert.Equal(HttpStatusCode.NotFound, html.StatusCode);
        Assert.Equal("text/html", html.Content.Headers.ContentType?.MediaType);
        var body = await html.Content.ReadAsStringAsync();
        Assert.Contains("<h1>Page not found</h1>", body);
        Assert.Contains("href=\"/privacy\"", body);
        await AssertProblemAsync(json, HttpStatusCode.NotFound, "not_found");
    }

    [Fact]
    public async Task OverlongRequestTarget_Returns414Problem()
    {
        var response = await Client.GetAsync("/api/auth/me?q=" + new string('x', 9000));

        await AssertProblemAsync(response, HttpStatusCode.RequestUriTooLong, "uri_too_long");
    }

    [Fact]
    public async Task OverlongRequestTarget_WithABodyStillBeingSent_GetsThe414_NotAResetConnection()
    {
        // 900 KB of JSON: the answer is ready long before the body has arrived; the client must still hear it.
        var body = new StringContent("{\"x\":\"" + new string('y', 900_000) + "\"}", System.Text.Encoding.UTF8, "application/json");

        var response = await Client.PostAsync("/api/sync/push?q=" + new string('x', 9000), body);

        await AssertProblemAsync(response, HttpStatusCode.RequestUriTooLong, "uri_too_long");
    }

    [Fact]
    public async Task OversizeHeaders_Returns431Problem()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/auth/me");
        request.Headers.Add("X-Filler", new string('x', 40 * 1024));

        var response = await Client.SendAsync(request);

        await AssertProblemAsync(response, HttpStatusCode.RequestHeaderFieldsTooLarge, "headers_too_large");
    }

    [Fact]
    public async Task ValidJson_IsBoundInSnakeCaseAndEchoed()
    {
        var response = await Client.PostAsJsonAsync("/test/echo", new Dictionary<string, object> { ["text"] = "hi", ["count"] = 2 });

        response.EnsureSuccessStatusCode();
        var json = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("hi", json.GetProperty("text").GetString());
        Assert.Equal(2, json.GetProperty("count").GetInt32());
    }

    [Fact]
    public async Task ThrowingHandler_Returns500ProblemWithoutDetails()
    {
        var response = await Client.GetAsync("/test/throw");

        var problem = await AssertProblemAsync(response, HttpStatusCode.InternalServerError, "internal_error");
        var text = problem.GetRawText();
        Assert.DoesNotContain("hunter2", text);
        Assert.DoesNotContain("InvalidOperationException", text);
        Assert.DoesNotContain(" at ", text);
        Assert.True(problem.TryGetProperty("trace_id", out _));
    }

    [Fact]
    public async Task ServerError_IsLoggedExactlyOnce_WithTheTraceIdTheBodyCarries()
    {
        var logs = new CapturingLogs();
        fixture.Server.Services.GetRequiredService<ILoggerFactory>().AddProvider(logs);

        var response = await Client.GetAsync("/test/throw");
        var traceId = (await AssertProblemAsync(response, HttpStatusCode.InternalServerError, "internal_error")).GetProperty("trace_id").GetString()!;

        var errors = logs.Entries.Where(e => e.Level >= LogLevel.Error && e.Exception is InvalidOperationException).ToList();
        var entry = Assert.Single(errors);
        // The body's trace id is the W3C traceparent (00-<trace>-<span>-01); the log line is written inside that trace.
        Assert.Contains(entry.TraceId!, traceId);
    }

    /// <summary>Every log entry of the server from now on, with the trace it was written in.</summary>
    private sealed class CapturingLogs : ILoggerProvider
    {
        public sealed record Entry(string Category, LogLevel Level, Exception? Exception, string? TraceId);

        public System.Collections.Concurrent.ConcurrentQueue<Entry> Entries { get; } = new();

        public ILogger CreateLogger(string categoryName) => new Logger(categoryName, Entries);

        public void Dispose()
        {
        }

        private sealed class Logger(string category, System.Collections.Concurrent.ConcurrentQueue<Entry> entries) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                entries.Enqueue(new Entry(category, logLevel, exception, System.Diagnostics.Activity.Current?.TraceId.ToString()));
        }
    }

    private static async Task<JsonElement> AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(code, problem.GetProperty("code").GetString());
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("title").GetString()));
        return problem;
    }
}
