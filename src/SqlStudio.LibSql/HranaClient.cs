using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Polly;
using Polly.Retry;

namespace SqlStudio.LibSql;

/// <summary>The answer to one pipeline: the stream's next baton (null once closed), its URL, and each request's result.</summary>
internal sealed record PipelineResponse(string? Baton, string? BaseUrl, JsonArray Results);

/// <summary>
/// Hrana over HTTP: <c>POST {url}/v3/pipeline</c> (v2 when the server does not answer <c>GET /v3</c>), bearer
/// auth, one pooled <see cref="HttpClient"/> per process. Requests that cannot have run are retried with backoff.
/// </summary>
internal sealed class HranaClient
{
    private static readonly HttpClient Http = new(new SocketsHttpHandler
    {
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        ConnectTimeout = TimeSpan.FromSeconds(10),
        AutomaticDecompression = DecompressionMethods.All,
    })
    { Timeout = TimeSpan.FromSeconds(60) };

    private static readonly ConcurrentDictionary<string, string> Versions = new();
    private static readonly Meter Meter = new("SqlStudio.LibSql");
    private static readonly Histogram<double> Duration = Meter.CreateHistogram<double>("db_request_duration", "ms", "Hrana pipeline round trips");

    private readonly string _url;
    private readonly string? _token;
    private readonly ResiliencePipeline _retry;
    private readonly Action<TimeSpan>? _onRoundTrip;

    private readonly TimeProvider _time;

    public HranaClient(string url, string? token, int maxRetries, Action<TimeSpan>? onRoundTrip = null, TimeProvider? time = null)
    {
        _time = time ?? TimeProvider.System;
        _url = Normalize(url);
        _token = token;
        _onRoundTrip = onRoundTrip;
        _retry = new ResiliencePipelineBuilder().AddRetry(new RetryStrategyOptions
        {
            MaxRetryAttempts = Math.Max(0, maxRetries),
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = TimeSpan.FromMilliseconds(100),
            MaxDelay = TimeSpan.FromSeconds(10),
            // Only what cannot have executed: a refused connection, or a 429/503 before any stream existed.
            ShouldHandle = new PredicateBuilder().Handle<LibSqlException>(e => e.NotExecuted),
            DelayGenerator = args => ValueTask.FromResult(args.Outcome.Exception is LibSqlException { RetryAfter: { } after } ? after : (TimeSpan?)null),
        }).Build();
    }

    /// <summary>libsql:// is https://; http(s) stay as they are.</summary>
    public static string Normalize(string url) =>
        (url.StartsWith("libsql://", StringComparison.OrdinalIgnoreCase) ? "https://" + url["libsql://".Length..] : url).TrimEnd('/');

    /// <summary>
    /// Sends one pipeline. Retries only when <paramref name="baton"/> is null (no stream, so nothing of a transaction is
    /// at stake) and the failure says the request did not run; <paramref name="mayRetryAfterSend"/> additionally allows a
    /// retry after a dropped response, for requests that only read.
    /// </summary>
    public async Task<PipelineResponse> PipelineAsync(string? baton, string? baseUrl, JsonArray requests, bool mayRetryAfterSend, CancellationToken ct)
    {
        if (baton is not null)
        {
            return await SendAsync(baton, baseUrl, requests, ct);
        }
        return await _retry.ExecuteAsync(async token =>
        {
            try
            {
                return await SendAsync(null, baseUrl, (JsonArray)requests.DeepClone(), token);
            }
            catch (LibSqlException ex) when (mayRetryAfterSend && ex.Code == "CONNECTION_DROPPED")
            {
                throw new LibSqlException(ex.Code, ex.Message, ex) { NotExecuted = true };
            }
        }, ct);
    }

    private async Task<PipelineResponse> SendAsync(string? baton, string? baseUrl, JsonArray requests, CancellationToken ct)
    {
        var root = Normalize(baseUrl ?? _url);
        var version = await VersionAsync(root, ct);
        using var request = new HttpRequestMessage(HttpMethod.Post, $"{root}/{version}/pipeline")
        {
            Content = new StringContent(new JsonObject { ["baton"] = baton, ["requests"] = requests }.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        if (_token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _token);
        }
        var watch = Stopwatch.StartNew();
        HttpResponseMessage response;
        try
        {
            response = await Http.SendAsync(request, HttpCompletionOption.ResponseContentRead, ct);
        }
        catch (Exception) when (RoundTripDone(watch))
        {
            throw;
        }
        catch (HttpRequestException ex) when (ex.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionRefused } || ex.HttpRequestError == HttpRequestError.ConnectionError)
        {
            throw new LibSqlException("UNAVAILABLE", $"Cannot connect to {root}: {ex.Message}", ex) { NotExecuted = true };
        }
        catch (HttpRequestException ex)
        {
            // The request left; whether it ran is unknown.
            throw new LibSqlException("CONNECTION_DROPPED", $"The connection to {root} broke before the answer arrived: {ex.Message}", ex);
        }
        using (response)
        {
            string body;
            try
            {
                body = await response.Content.ReadAsStringAsync(ct);
            }
            catch (HttpRequestException ex)
            {
                throw new LibSqlException("CONNECTION_DROPPED", $"The answer from {root} was cut off: {ex.Message}", ex);
            }
            Duration.Record(watch.Elapsed.TotalMilliseconds);
            RoundTripDone(watch);
            if (!response.IsSuccessStatusCode)
            {
                throw Failure(response, body, baton);
            }
            var json = ParseObject(body) ?? throw new LibSqlException("PROTOCOL", $"Unexpected answer from {root}: {Snippet(body)}");
            return new PipelineResponse(json["baton"]?.GetValue<string>(), json["base_url"]?.GetValue<string>(), json["results"]?.AsArray() ?? []);
        }
    }

    /// <summary>Reports one round trip (answered or not) to the connection's observer; false, so it can sit in an exception filter.</summary>
    private bool RoundTripDone(Stopwatch watch)
    {
        _onRoundTrip?.Invoke(watch.Elapsed);
        return false;
    }

    private async Task<string> VersionAsync(string root, CancellationToken ct)
    {
        if (Versions.TryGetValue(root, out var known))
        {
            return known;
        }
        string version;
        try
        {
            using var probe = new HttpRequestMessage(HttpMethod.Get, root + "/v3");
            if (_token is not null)
            {
                probe.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _token);
            }
            using var answer = await Http.SendAsync(probe, ct);
            version = answer.IsSuccessStatusCode ? "v3" : "v2";
        }
        catch (HttpRequestException ex)
        {
            throw new LibSqlException("UNAVAILABLE", $"Cannot connect to {root}: {ex.Message}", ex) { NotExecuted = true };
        }
        Versions[root] = version;
        return version;
    }

    /// <summary>Turns any failed HTTP answer (Hrana error object, {"error": …}, plain text, HTML from a proxy) into one exception.</summary>
    private LibSqlException Failure(HttpResponseMessage response, string body, string? baton)
    {
        var status = (int)response.StatusCode;
        var json = ParseObject(body);
        var error = json?["error"];
        var message = error switch
        {
            JsonObject o => o["message"]?.GetValue<string>(),
            JsonValue v => v.ToString(),
            _ => null,
        } ?? json?["message"]?.GetValue<string>() ?? Snippet(body);
        var code = (error as JsonObject)?["code"]?.GetValue<string>() ?? status switch
        {
            401 or 403 => "UNAUTHORIZED",
            429 => "HTTP_429",
            503 => "HTTP_503",
            _ => message.Contains("stream expired", StringComparison.OrdinalIgnoreCase) ? "STREAM_EXPIRED" : $"HTTP_{status}",
        };
        var retryAfter = response.Headers.RetryAfter?.Delta ??
                         (response.Headers.RetryAfter?.Date is { } date ? date - _time.GetUtcNow() : null);
        // 429/503 mean the server turned the request away; outside a transaction nothing ran, and an expired stream ran nothing either.
        var notExecuted = baton is null && (status is 429 or 503 || code == "STREAM_EXPIRED");
        return new LibSqlException(code, message, null) { NotExecuted = notExecuted, RetryAfter = retryAfter };
    }

    private static JsonObject? ParseObject(string body)
    {
        try
        {
            return JsonNode.Parse(body) as JsonObject;
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }

    private static string Snippet(string body)
    {
        var text = body.Trim();
        if (text.StartsWith('<'))
        {
            text = System.Text.RegularExpressions.Regex.Replace(text, "<[^>]+>", " ");
            text = System.Text.RegularExpressions.Regex.Replace(text, @"\s+", " ").Trim();
        }
        return text.Length > 200 ? text[..200] : text;
    }
}
