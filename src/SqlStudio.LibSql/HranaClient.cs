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
/// Streams outlive the call that opened them (<see cref="RunAsync"/>): a new stream costs the server a new SQLite
/// connection and a parse of the schema, several times the cost of the statements of a typical request.
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
    private static readonly ConcurrentDictionary<string, ConcurrentStack<IdleStream>> IdleStreams = new();
    private static readonly ConcurrentDictionary<int, ResiliencePipeline> RetryPipelines = new();

    /// <summary>
    /// How long a stream may wait unused before it is not used again. sqld and Turso expire a stream after 10 s without
    /// a request; half that leaves room for the way there.
    /// </summary>
    public static readonly TimeSpan MaxStreamIdle = TimeSpan.FromSeconds(5);

    /// <summary>Streams kept per database beyond that: as many as requests usually run at once.</summary>
    public const int MaxIdleStreams = 64;

    /// <summary>A stream left in autocommit by the call that used it last, and since when (a <see cref="TimeProvider"/> timestamp).</summary>
    private sealed record IdleStream(string Baton, string? BaseUrl, long Since);
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
        _idle = IdleStreams.GetOrAdd(_url + "\n" + token, _ => new ConcurrentStack<IdleStream>());
        _retry = RetryPipelines.GetOrAdd(Math.Max(0, maxRetries), retries => new ResiliencePipelineBuilder().AddRetry(new RetryStrategyOptions
        {
            MaxRetryAttempts = retries,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = TimeSpan.FromMilliseconds(100),
            MaxDelay = TimeSpan.FromSeconds(10),
            // Only what cannot have executed: a refused connection, or a 429/503 before any stream existed.
            ShouldHandle = new PredicateBuilder().Handle<LibSqlException>(e => e.NotExecuted),
            DelayGenerator = args => ValueTask.FromResult(args.Outcome.Exception is LibSqlException { RetryAfter: { } after } ? after : (TimeSpan?)null),
        }).Build());
    }

    private readonly ConcurrentStack<IdleStream> _idle;

    /// <summary>
    /// Runs <paramref name="requests"/> outside any interactive transaction, on a stream an earlier call left open (a new
    /// one, <paramref name="settings"/> first, when none is at hand), and keeps the stream for the next call when the
    /// requests left it in autocommit. A stream the server no longer knows (expired, restarted) ran nothing: the requests
    /// go on a new one. Returns the results of <paramref name="requests"/> only.
    /// </summary>
    public async Task<JsonArray> RunAsync(IList<string> settings, JsonArray requests, bool mayRetryAfterSend, CancellationToken ct)
    {
        if (await VersionAsync(_url, ct) != "v3")
        {
            // Hrana 2 cannot say whether a stream is still inside a transaction: one stream per call, closed at its end.
            var once = SettingsRequests(settings);
            foreach (var request in requests)
            {
                once.Add(request!.DeepClone());
            }
            once.Add(Hrana.Close());
            var response = await PipelineAsync(null, null, once, mayRetryAfterSend, ct);
            return Own(response.Results, settings.Count, 1);
        }
        return await _retry.ExecuteAsync(async token =>
        {
            while (true)
            {
                var stream = TakeIdle();
                var sent = stream is null ? SettingsRequests(settings) : [];
                foreach (var request in requests)
                {
                    sent.Add(request!.DeepClone());
                }
                sent.Add(GetAutocommit());
                PipelineResponse response;
                try
                {
                    response = await SendAsync(stream?.Baton, stream?.BaseUrl, sent, token);
                }
                catch (LibSqlException ex) when (stream is not null && ex.Code is "STREAM_EXPIRED" or "INVALID_BATON")
                {
                    // The server forgot that stream; nothing ran. Not an attempt: the next stream (or a new one) is.
                    continue;
                }
                catch (LibSqlException ex) when (mayRetryAfterSend && ex.Code == "CONNECTION_DROPPED")
                {
                    throw new LibSqlException(ex.Code, ex.Message, ex) { NotExecuted = true };
                }
                return await KeepAsync(response, stream is null ? settings.Count : 0, token);
            }
        }, ct);
    }

    /// <summary>The stream used last, when it has not waited too long.</summary>
    private IdleStream? TakeIdle()
    {
        while (_idle.TryPop(out var stream))
        {
            if (_time.GetElapsedTime(stream.Since) <= MaxStreamIdle)
            {
                return stream;
            }
        }
        return null;
    }

    private static JsonArray SettingsRequests(IList<string> settings) =>
        new(settings.Select(s => (JsonNode)Hrana.Execute(Hrana.Statement(s, false))).ToArray());

    private static JsonObject GetAutocommit() => new() { ["type"] = "get_autocommit" };

    /// <summary>Puts the stream back for the next call when it is clean, closes it otherwise; throws when a setting failed.</summary>
    private async Task<JsonArray> KeepAsync(PipelineResponse response, int settings, CancellationToken ct)
    {
        var results = response.Results;
        var autocommit = results.Count > 0 && results[^1]?["response"]?["is_autocommit"]?.GetValue<bool>() == true;
        var failedSetting = results.Take(settings).FirstOrDefault(r => r?["type"]?.GetValue<string>() == "error");
        if (response.Baton is { } baton)
        {
            if (autocommit && failedSetting is null && _idle.Count < MaxIdleStreams)
            {
                _idle.Push(new IdleStream(baton, response.BaseUrl, _time.GetTimestamp()));
            }
            else
            {
                await CloseAsync(baton, response.BaseUrl, rollback: !autocommit, ct);
            }
        }
        if (failedSetting is not null)
        {
            var error = failedSetting["error"];
            throw new LibSqlException(error?["code"]?.GetValue<string>() ?? "SQLITE_ERROR", error?["message"]?.GetValue<string>() ?? "a stream setting failed");
        }
        return Own(results, settings, 1);
    }

    /// <summary>Ends a stream that is not kept (rolling back what a failed COMMIT left open); a failure only means it is gone already.</summary>
    private async Task CloseAsync(string baton, string? baseUrl, bool rollback, CancellationToken ct)
    {
        var requests = rollback ? new JsonArray(Hrana.Execute(Hrana.Statement("ROLLBACK", false)), Hrana.Close()) : new JsonArray(Hrana.Close());
        try
        {
            await SendAsync(baton, baseUrl, requests, ct);
        }
        catch (LibSqlException)
        {
            // Expired or unreachable: the server rolls back and frees the stream on its own.
        }
    }

    /// <summary>The results of the caller's requests: without the <paramref name="before"/> settings and the <paramref name="after"/> trailing requests.</summary>
    private static JsonArray Own(JsonArray results, int before, int after)
    {
        for (var i = 0; i < after && results.Count > 0; i++)
        {
            results.RemoveAt(results.Count - 1);
        }
        for (var i = 0; i < before && results.Count > 0; i++)
        {
            results.RemoveAt(0);
        }
        return results;
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
        var code = (error as JsonObject)?["code"]?.GetValue<string>() ?? (json?["code"] as JsonValue)?.ToString() ?? status switch
        {
            401 or 403 => "UNAUTHORIZED",
            429 => "HTTP_429",
            503 => "HTTP_503",
            400 when message.Contains("expired", StringComparison.OrdinalIgnoreCase) => "STREAM_EXPIRED",
            // sqld after a restart ("Received an invalid baton"), or a baton sent twice.
            400 when message.Contains("baton", StringComparison.OrdinalIgnoreCase) => "INVALID_BATON",
            _ => $"HTTP_{status}",
        };
        var retryAfter = response.Headers.RetryAfter?.Delta ??
                         (response.Headers.RetryAfter?.Date is { } date ? date - _time.GetUtcNow() : null);
        // 429/503 mean the server turned the request away; a stream it does not know (expired, or from before a restart) ran
        // nothing either. Inside an interactive transaction that still loses the transaction: its requests are not retried.
        var notExecuted = status is 429 or 503 || code is "STREAM_EXPIRED" or "INVALID_BATON";
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
