using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using SqlStudio.Contracts;

namespace SqlStudio.Sync;

internal static class SyncJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
}

/// <summary>The server answered with a Problem Details error.</summary>
public sealed class SyncApiException(HttpStatusCode status, string code, string message) : Exception(message)
{
    public HttpStatusCode Status { get; } = status;
    public string Code { get; } = code;

    public static async Task<SyncApiException> FromAsync(HttpResponseMessage response)
    {
        string code = "http_" + (int)response.StatusCode, detail = response.ReasonPhrase ?? "request failed";
        try
        {
            var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync()) as JsonObject;
            code = problem?["code"]?.GetValue<string>() ?? code;
            detail = problem?["detail"]?.GetValue<string>() ?? problem?["title"]?.GetValue<string>() ?? detail;
            // Validation problems name the fields: "rating: Rate from 1 to 5, or leave it out." says what to change.
            if (problem?["errors"] is JsonObject errors && errors.Count > 0)
            {
                detail += " " + string.Join(" ", errors.Select(e =>
                    $"{e.Key}: {string.Join(" ", (e.Value as JsonArray)?.Select(m => m?.ToString()) ?? [])}"));
            }
        }
        catch (JsonException)
        {
        }
        return new SyncApiException(response.StatusCode, code, detail);
    }
}

/// <summary>The server cannot be reached (no network, server down, timeout).</summary>
public sealed class OfflineException(string message, Exception inner) : Exception(message, inner);

/// <summary>The Sync API as the SDK uses it: bearer auth through <see cref="AuthSession"/>, one retry after a refresh.</summary>
public sealed class SyncApi(HttpClient http, AuthSession auth)
{
    /// <param name="pending">This device's outbox size (the server's operators watch it: docs/operations.md, <c>sqlstudio_sync_client_pending</c>).</param>
    /// <summary>Sends the wire's own records (<see cref="PushRequest"/>, <see cref="Mutation"/>): the server reads the same types.</summary>
    public async Task<PushResponse> PushAsync(Uri server, string deviceId, IEnumerable<Mutation> mutations, CancellationToken ct, long? pending = null) =>
        await SendAsync<PushResponse>(server, HttpMethod.Post, "/api/sync/push", new PushRequest(deviceId, [.. mutations], pending), ct);

    public Task<ChangesResponse> ChangesAsync(Uri server, long cursor, string deviceId, CancellationToken ct) =>
        SendAsync<ChangesResponse>(server, HttpMethod.Get, $"/api/sync/changes?cursor={cursor}&limit=1000&device_id={Uri.EscapeDataString(deviceId)}", null, ct);

    /// <summary>A page of changes as a parsed document, read without building a node per value.</summary>
    public Task<JsonDocument> ChangesDocumentAsync(Uri server, long cursor, string deviceId, CancellationToken ct) =>
        SendAsync<JsonDocument>(server, HttpMethod.Get, $"/api/sync/changes?cursor={cursor}&limit=1000&device_id={Uri.EscapeDataString(deviceId)}", null, ct);

    public Task<HeadResponse> HeadAsync(Uri server, CancellationToken ct) => SendAsync<HeadResponse>(server, HttpMethod.Get, "/api/sync/head", null, ct);

    /// <summary>Long-poll: answers when the server's cursor passes <paramref name="after"/>, or after <paramref name="waitSeconds"/>.</summary>
    public Task<HeadResponse> WaitForHeadAsync(Uri server, long after, int waitSeconds, CancellationToken ct) =>
        SendAsync<HeadResponse>(server, HttpMethod.Get, $"/api/sync/head?after={after}&wait={waitSeconds}", null, ct);

    /// <summary>
    /// Opens the event stream (<c>GET /api/sync/events</c>); the caller reads and disposes the response. A refused token
    /// is refreshed once, as for every call.
    /// </summary>
    public async Task<HttpResponseMessage> OpenEventsAsync(Uri server, string? lastEventId, CancellationToken ct)
    {
        for (var retried = false; ; retried = true)
        {
            var token = await auth.AccessTokenAsync(forceRefresh: retried, ct);
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(server, "/api/sync/events"));
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            request.Headers.Accept.ParseAdd("text/event-stream");
            if (lastEventId is not null)
            {
                request.Headers.TryAddWithoutValidation("Last-Event-ID", lastEventId);
            }
            HttpResponseMessage response;
            try
            {
                response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
            }
            catch (HttpRequestException ex)
            {
                throw new OfflineException($"Cannot reach {server}: {ex.Message}", ex);
            }
            if (response.StatusCode == HttpStatusCode.Unauthorized && !retried)
            {
                response.Dispose();
                continue;
            }
            if (response.StatusCode == HttpStatusCode.Unauthorized)
            {
                response.Dispose();
                await auth.SignOutAsync();
                throw new SignedOutException("Your session has ended. Log in again.");
            }
            if (!response.IsSuccessStatusCode)
            {
                using (response)
                {
                    throw await SyncApiException.FromAsync(response);
                }
            }
            return response;
        }
    }

    public Task<T> SendAsync<T>(Uri server, HttpMethod method, string path, object? body, CancellationToken ct) =>
        SendAsync<T>(server, method, path, body, retried: false, ct);

    private async Task<T> SendAsync<T>(Uri server, HttpMethod method, string path, object? body, bool retried, CancellationToken ct)
    {
        var token = await auth.AccessTokenAsync(forceRefresh: retried, ct);
        using var request = new HttpRequestMessage(method, new Uri(server, path));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        request.Headers.AcceptEncoding.ParseAdd("br, gzip");
        if (body is not null)
        {
            request.Content = JsonContent.Create(body, options: SyncJson.Options);
        }
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, ct);
        }
        catch (HttpRequestException ex)
        {
            throw new OfflineException($"Cannot reach {server}: {ex.Message}", ex);
        }
        catch (TaskCanceledException ex) when (!ct.IsCancellationRequested)
        {
            throw new OfflineException($"{server} did not answer in time.", ex);
        }
        using (response)
        {
            if (response.StatusCode == HttpStatusCode.Unauthorized && !retried)
            {
                // The access token was refused (revoked session, clock skew): one refresh, then give up.
                return await SendAsync<T>(server, method, path, body, retried: true, ct);
            }
            if (response.StatusCode == HttpStatusCode.Unauthorized)
            {
                await auth.SignOutAsync();
                throw new SignedOutException("Your session has ended. Log in again.");
            }
            if (!response.IsSuccessStatusCode)
            {
                throw await SyncApiException.FromAsync(response);
            }
            if (typeof(T) == typeof(bool))
            {
                return (T)(object)true;
            }
            if (typeof(T) == typeof(JsonDocument))
            {
                return (T)(object)await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(ct), cancellationToken: ct);
            }
            return (await response.Content.ReadFromJsonAsync<T>(SyncJson.Options, ct))!;
        }
    }
}
