using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using SqlStudio.Contracts;

namespace SqlStudio.Testing;

/// <summary>Drives the Auth API the way a client does: JSON in snake_case, bearer tokens.</summary>
public sealed class AuthClient(TestServer server)
{
    public const string Password = "Sync-Every-Thing-42";

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public HttpClient Http { get; } = server.CreateClient();

    public static string NewEmail(string prefix = "user") => $"{prefix}-{Guid.NewGuid():N}@example.com";

    public Task<HttpResponseMessage> PostAsync(string path, object body, string? accessToken = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body, options: Json) };
        if (accessToken is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        }
        return Http.SendAsync(request);
    }

    public Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? accessToken)
    {
        var request = new HttpRequestMessage(method, path);
        if (accessToken is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        }
        return Http.SendAsync(request);
    }

    public async Task<string> RegisterAsync(string email, string password = Password, string name = "Test User")
    {
        var response = await PostAsync("/api/auth/register", new { email, password, name });
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"register failed: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
        return (await response.Content.ReadFromJsonAsync<RegisterResponse>(Json))!.UserId;
    }

    /// <summary>Registers, follows the emailed verification link, and logs in.</summary>
    public async Task<TokenResponse> RegisterVerifiedAsync(string? email = null, bool rememberMe = false)
    {
        email ??= NewEmail();
        await RegisterAsync(email);
        var message = await server.Mailbox.WaitForAsync(email, "Confirm your email");
        var verify = await PostAsync("/api/auth/verify-email", new { token = Mailbox.TokenFrom(message, "/verify-email") });
        verify.EnsureSuccessStatusCode();
        return await LoginAsync(email, rememberMe: rememberMe);
    }

    public async Task<TokenResponse> LoginAsync(string email, string password = Password, bool rememberMe = false, string? deviceName = null)
    {
        var response = await PostAsync("/api/auth/login", new { email, password, remember_me = rememberMe, device_name = deviceName });
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"login failed: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
        return (await response.Content.ReadFromJsonAsync<TokenResponse>(Json))!;
    }

    public async Task<T> ReadAsync<T>(HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<T>(Json))!;

    public static async Task<JsonElement> ProblemAsync(HttpResponseMessage response)
    {
        var json = await response.Content.ReadFromJsonAsync<JsonElement>();
        return json;
    }
}
