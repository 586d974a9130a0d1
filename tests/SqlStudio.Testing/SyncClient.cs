using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using SqlStudio.Contracts;

namespace SqlStudio.Testing;

/// <summary>A signed-in user's view of the Sync API, in the wire's own JSON.</summary>
public sealed class SyncClient
{
    private readonly HttpClient _http;

    private SyncClient(TestServer server, TokenResponse tokens)
    {
        Tokens = tokens;
        _http = server.CreateClient();
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", tokens.AccessToken);
    }

    public TokenResponse Tokens { get; }

    public HttpClient Http => _http;

    /// <summary>A new verified user, signed in.</summary>
    public static async Task<SyncClient> NewUserAsync(TestServer server) =>
        new(server, await new AuthClient(server).RegisterVerifiedAsync());

    public static SyncClient For(TestServer server, TokenResponse tokens) => new(server, tokens);

    public static JsonObject Upsert(string type, string id, long baseVersion, string updatedAt, JsonObject data, string? mutationId = null) => new()
    {
        ["mutation_id"] = mutationId ?? Guid.NewGuid().ToString("N"),
        ["entity_type"] = type,
        ["entity_id"] = id,
        ["op"] = "upsert",
        ["base_version"] = baseVersion,
        ["updated_at"] = updatedAt,
        ["data"] = data.DeepClone(),
    };

    public static JsonObject Delete(string type, string id, long baseVersion, string updatedAt, string? mutationId = null) => new()
    {
        ["mutation_id"] = mutationId ?? Guid.NewGuid().ToString("N"),
        ["entity_type"] = type,
        ["entity_id"] = id,
        ["op"] = "delete",
        ["base_version"] = baseVersion,
        ["updated_at"] = updatedAt,
    };

    public Task<HttpResponseMessage> PushRawAsync(string deviceId, IEnumerable<JsonObject> mutations) =>
        _http.PostAsJsonAsync("/api/sync/push", new JsonObject
        {
            ["device_id"] = deviceId,
            ["mutations"] = new JsonArray(mutations.Select(m => (JsonNode)m.DeepClone()).ToArray()),
        });

    public async Task<PushResponse> PushAsync(string deviceId, params JsonObject[] mutations)
    {
        var response = await PushRawAsync(deviceId, mutations);
        await EnsureAsync(response);
        return (await response.Content.ReadFromJsonAsync<PushResponse>(AuthClient.Json))!;
    }

    public async Task<ChangesResponse> ChangesAsync(long cursor = 0, int? limit = null, string? types = null, string? deviceId = null)
    {
        var url = $"/api/sync/changes?cursor={cursor}" + (limit is null ? "" : $"&limit={limit}") +
                  (types is null ? "" : $"&types={types}") + (deviceId is null ? "" : $"&device_id={deviceId}");
        var response = await _http.GetAsync(url);
        await EnsureAsync(response);
        return (await response.Content.ReadFromJsonAsync<ChangesResponse>(AuthClient.Json))!;
    }

    /// <summary>Every live and deleted record, pulled page by page from cursor 0.</summary>
    public async Task<(Dictionary<(string Type, string Id), JsonObject> Records, long Cursor)> PullAllAsync(long cursor = 0, int limit = 1000)
    {
        var records = new Dictionary<(string, string), JsonObject>();
        while (true)
        {
            var page = await ChangesAsync(cursor, limit);
            foreach (var (type, list) in page.Changes)
            {
                foreach (var record in list)
                {
                    records[(type, record["id"]!.GetValue<string>())] = record;
                }
            }
            cursor = page.NextCursor;
            if (!page.HasMore)
            {
                return (records, cursor);
            }
        }
    }

    public async Task<T> GetAsync<T>(string path)
    {
        var response = await _http.GetAsync(path);
        await EnsureAsync(response);
        return (await response.Content.ReadFromJsonAsync<T>(AuthClient.Json))!;
    }

    private static async Task EnsureAsync(HttpResponseMessage response)
    {
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}", null, response.StatusCode);
        }
    }
}
