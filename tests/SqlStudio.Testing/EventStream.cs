using System.Net.Http.Headers;
using System.Text.Json.Nodes;

namespace SqlStudio.Testing;

/// <summary>One Server-Sent Event as a client sees it; a <c>: comment</c> line comes as <see cref="Comment"/>.</summary>
public sealed record ServerEvent(string? Event, string? Data, string? Id, string? Comment)
{
    public JsonObject Json => JsonNode.Parse(Data!)!.AsObject();

    public long Cursor => Json["cursor"]!.GetValue<long>();
}

/// <summary>An open <c>GET /api/sync/events</c> stream, read event by event (a test's own SSE parser, per the WHATWG format).</summary>
public sealed class EventStream : IAsyncDisposable
{
    private readonly HttpResponseMessage _response;
    private readonly StreamReader _reader;

    private EventStream(HttpResponseMessage response, StreamReader reader)
    {
        _response = response;
        _reader = reader;
    }

    public HttpResponseMessage Response => _response;

    /// <param name="acceptCompression">Ask for br/gzip (the stream must come uncompressed anyway).</param>
    public static async Task<HttpResponseMessage> OpenRawAsync(HttpClient http, string accessToken, string? lastEventId = null, bool acceptCompression = true)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/api/sync/events");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        request.Headers.Accept.ParseAdd("text/event-stream");
        if (acceptCompression)
        {
            request.Headers.AcceptEncoding.ParseAdd("br, gzip");
        }
        if (lastEventId is not null)
        {
            request.Headers.Add("Last-Event-ID", lastEventId);
        }
        return await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
    }

    public static Task<EventStream> OpenAsync(TestServer server, string accessToken, string? lastEventId = null) =>
        OpenAsync(server.BaseAddress, accessToken, lastEventId);

    public static async Task<EventStream> OpenAsync(Uri baseAddress, string accessToken, string? lastEventId = null)
    {
        var http = new HttpClient { BaseAddress = baseAddress };
        http.Timeout = Timeout.InfiniteTimeSpan;
        var response = await OpenRawAsync(http, accessToken, lastEventId);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"events answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }
        return new EventStream(response, new StreamReader(await response.Content.ReadAsStreamAsync()));
    }

    /// <summary>The next event or comment; null when the server ended the stream. Fails after <paramref name="timeout"/> (default 10 s).</summary>
    public async Task<ServerEvent?> NextAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        string? name = null, id = null;
        var data = new List<string>();
        while (true)
        {
            var line = await _reader.ReadLineAsync(cts.Token);
            if (line is null)
            {
                return null;
            }
            if (line.Length == 0)
            {
                if (name is not null || data.Count > 0)
                {
                    return new ServerEvent(name ?? "message", string.Join("\n", data), id, null);
                }
                continue;
            }
            if (line.StartsWith(':'))
            {
                return new ServerEvent(null, null, null, line[1..].Trim());
            }
            var colon = line.IndexOf(':');
            var field = colon < 0 ? line : line[..colon];
            var value = colon < 0 ? "" : line[(colon + 1)..].TrimStart(' ');
            switch (field)
            {
                case "event": name = value; break;
                case "data": data.Add(value); break;
                case "id": id = value; break;
            }
        }
    }

    /// <summary>The next event that is not a comment, skipping heartbeats.</summary>
    public async Task<ServerEvent?> NextEventAsync(TimeSpan? timeout = null)
    {
        while (await NextAsync(timeout) is { } next)
        {
            if (next.Comment is null)
            {
                return next;
            }
        }
        return null;
    }

    public async ValueTask DisposeAsync()
    {
        _reader.Dispose();
        _response.Dispose();
        await Task.CompletedTask;
    }
}
