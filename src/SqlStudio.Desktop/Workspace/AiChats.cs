using System.ClientModel;
using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using OpenAI;
using SqlStudio.Sync;

namespace SqlStudio.Desktop.Workspace;

public sealed record ChatSession(string Id, string Title, string? Model, DateTimeOffset UpdatedAt);

public sealed record ChatLine(string Id, string Role, string Content, string CreatedAt);

/// <summary>Where the assistant is: an OpenAI-compatible endpoint. Its API key stays on this device, encrypted.</summary>
public sealed record AiSettings(string? BaseUrl, string? Model, bool HasApiKey)
{
    public bool IsConfigured => !string.IsNullOrWhiteSpace(BaseUrl) && !string.IsNullOrWhiteSpace(Model);
}

/// <summary>
/// AI chats (synced records ai_sessions and ai_messages): read them, and continue one through the configured
/// OpenAI-compatible endpoint with Microsoft.Extensions.AI. Without an endpoint the panel says how to set one up.
/// </summary>
public sealed class AiChats(WorkspaceStore workspace, TimeProvider time)
{
    private const string BaseUrlKey = "ai.base_url";
    private const string ModelKey = "ai.model";

    /// <summary>For tests and other endpoints: how a client is made from the settings (default: OpenAI's SDK).</summary>
    public Func<AiSettings, string?, IChatClient> ClientFactory { get; set; } = (settings, key) =>
        new OpenAIClient(new ApiKeyCredential(string.IsNullOrEmpty(key) ? "none" : key), new OpenAIClientOptions { Endpoint = new Uri(settings.BaseUrl!) })
            .GetChatClient(settings.Model).AsIChatClient();

    public async Task<AiSettings> SettingsAsync()
    {
        var store = await workspace.StoreAsync();
        var secrets = await store.SecretsAsync("settings", "ai");
        return new AiSettings(await store.GetMetaAsync(BaseUrlKey), await store.GetMetaAsync(ModelKey), secrets.ContainsKey("api_key"));
    }

    public async Task SaveSettingsAsync(string? baseUrl, string? model, string? apiKey)
    {
        if (!string.IsNullOrWhiteSpace(baseUrl) && (!Uri.TryCreate(baseUrl, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")))
        {
            throw new ArgumentException("The endpoint must be an http or https address, like https://api.openai.com/v1.");
        }
        var store = await workspace.StoreAsync();
        await store.SetMetaAsync(BaseUrlKey, string.IsNullOrWhiteSpace(baseUrl) ? null : baseUrl.Trim());
        await store.SetMetaAsync(ModelKey, string.IsNullOrWhiteSpace(model) ? null : model.Trim());
        if (!string.IsNullOrEmpty(apiKey))
        {
            await store.WriteAsync(async (c, t) =>
            {
                await store.PutSecretAsync(c, t, "settings", "ai", "api_key", apiKey);
                return true;
            });
        }
    }

    public async Task<IReadOnlyList<ChatSession>> SessionsAsync() =>
        (await workspace.ListAsync("ai_sessions"))
            .Select(r => new ChatSession(r.Id, r.Text("title") ?? "Chat", r.Text("model"),
                DateTimeOffset.TryParse(r.UpdatedAt, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) ? at : DateTimeOffset.MinValue))
            .OrderByDescending(s => s.UpdatedAt).ToList();

    public async Task<IReadOnlyList<ChatLine>> MessagesAsync(string sessionId) =>
        (await workspace.ListAsync("ai_messages")).Where(r => r.Text("session_id") == sessionId)
            .Select(r => new ChatLine(r.Id, r.Text("role") ?? "user", r.Text("content") ?? "", r.UpdatedAt))
            .OrderBy(m => m.Id, StringComparer.Ordinal).ToList();

    public async Task<string> NewSessionAsync(string title)
    {
        var id = WorkspaceStore.NewId("chat");
        await workspace.PutAsync("ai_sessions", id, new JsonObject { ["title"] = string.IsNullOrWhiteSpace(title) ? "New chat" : title.Trim() });
        return id;
    }

    /// <summary>Adds the user's message, asks the assistant with the whole conversation, and keeps its answer.</summary>
    public async Task<ChatLine> ContinueAsync(string sessionId, string text, CancellationToken ct)
    {
        var settings = await SettingsAsync();
        if (!settings.IsConfigured)
        {
            throw new InvalidOperationException("No AI endpoint is set up: open Settings and give an OpenAI-compatible address and model.");
        }
        await AddAsync(sessionId, "user", text);
        var history = (await MessagesAsync(sessionId))
            .Select(m => new ChatMessage(m.Role switch { "assistant" => ChatRole.Assistant, "system" => ChatRole.System, _ => ChatRole.User }, m.Content))
            .ToList();
        var key = (await (await workspace.StoreAsync()).SecretsAsync("settings", "ai")).GetValueOrDefault("api_key");
        using var client = ClientFactory(settings, key);
        var response = await client.GetResponseAsync(history, cancellationToken: ct);
        var answer = string.IsNullOrEmpty(response.Text) ? "(The assistant answered with no text.)" : response.Text;
        await workspace.PutAsync("ai_sessions", sessionId, new JsonObject { ["model"] = settings.Model });
        return await AddAsync(sessionId, "assistant", answer);
    }

    private async Task<ChatLine> AddAsync(string sessionId, string role, string content)
    {
        var id = WorkspaceStore.NewId("msg");
        await workspace.PutAsync("ai_messages", id, new JsonObject { ["session_id"] = sessionId, ["role"] = role, ["content"] = content });
        return new ChatLine(id, role, content, time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture));
    }
}
