using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using SqlStudio.Contracts;

namespace SqlStudio.Sync;

/// <summary>What is kept between runs for a signed-in profile.</summary>
public sealed record SavedSession(string Server, TokenResponse Tokens, DateTimeOffset AccessExpiresAt, DateTimeOffset RefreshExpiresAt);

/// <summary>Where tokens live. The default is a file readable by its owner only; an OS keychain can take its place.</summary>
public interface ITokenStore
{
    Task<SavedSession?> LoadAsync();
    Task SaveAsync(SavedSession session);
    Task ClearAsync();
}

/// <summary>Tokens in <c>session.json</c> in the profile folder, mode 0600, replaced atomically.</summary>
public sealed class FileTokenStore(string path) : ITokenStore
{
    public async Task<SavedSession?> LoadAsync()
    {
        if (!File.Exists(path))
        {
            return null;
        }
        await using var stream = File.OpenRead(path);
        return await JsonSerializer.DeserializeAsync<SavedSession>(stream, SyncJson.Options);
    }

    public async Task SaveAsync(SavedSession session)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var temp = path + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        await using (var stream = new FileStream(temp, options))
        {
            await JsonSerializer.SerializeAsync(stream, session, SyncJson.Options);
        }
        File.Move(temp, path, overwrite: true);
    }

    public Task ClearAsync()
    {
        File.Delete(path);
        return Task.CompletedTask;
    }
}

/// <summary>The profile's session has ended (token reused, expired or revoked): the user must log in again.</summary>
public sealed class SignedOutException(string message) : Exception(message);

/// <summary>
/// Hands out a valid access token: refreshes when 60 s or less remain, once for all concurrent callers, and moves
/// the profile to "signed out" when the server refuses the refresh token.
/// </summary>
public sealed class AuthSession(ITokenStore store, HttpClient http, TimeProvider time)
{
    private readonly SemaphoreSlim _refreshing = new(1, 1);
    private SavedSession? _session;

    public event EventHandler? SignedOut;

    public async Task<SavedSession?> CurrentAsync() => _session ??= await store.LoadAsync();

    public async Task<TokenResponse> SignInAsync(Uri server, string email, string password, string deviceId, string deviceName)
    {
        var response = await http.PostAsJsonAsync(new Uri(server, "/api/auth/login"),
            new LoginRequest(email, password, DeviceId: deviceId, DeviceName: deviceName, Platform: DeviceIdentity.Platform()),
            SyncJson.Options);
        if (!response.IsSuccessStatusCode)
        {
            throw await SyncApiException.FromAsync(response);
        }
        var tokens = (await response.Content.ReadFromJsonAsync<TokenResponse>(SyncJson.Options))!;
        await SaveAsync(server.ToString(), tokens);
        return tokens;
    }

    public async Task SaveAsync(string server, TokenResponse tokens)
    {
        var now = time.GetUtcNow();
        _session = new SavedSession(server, tokens, now.AddSeconds(tokens.ExpiresIn), now.AddSeconds(tokens.RefreshExpiresIn));
        await store.SaveAsync(_session);
    }

    public async Task SignOutAsync()
    {
        _session = null;
        await store.ClearAsync();
    }

    /// <summary>A token with more than a minute to live, refreshing first if needed.</summary>
    public async Task<string> AccessTokenAsync(bool forceRefresh = false, CancellationToken cancellationToken = default)
    {
        var session = await CurrentAsync() ?? throw new SignedOutException("Not signed in. Run `sqlstudio login`.");
        if (!forceRefresh && session.AccessExpiresAt - time.GetUtcNow() > TimeSpan.FromSeconds(60))
        {
            return session.Tokens.AccessToken;
        }
        var seen = session.Tokens.AccessToken;
        await _refreshing.WaitAsync(cancellationToken);
        try
        {
            // Single flight: whoever waited behind a refresh uses its result instead of refreshing again.
            var current = await CurrentAsync() ?? throw new SignedOutException("Not signed in. Run `sqlstudio login`.");
            if (current.Tokens.AccessToken != seen)
            {
                return current.Tokens.AccessToken;
            }
            var response = await http.PostAsJsonAsync(new Uri(new Uri(current.Server), "/api/auth/refresh"),
                new RefreshRequest(current.Tokens.RefreshToken), SyncJson.Options, cancellationToken);
            if (response.StatusCode == HttpStatusCode.Unauthorized)
            {
                var error = await SyncApiException.FromAsync(response);
                await SignOutAsync();
                SignedOut?.Invoke(this, EventArgs.Empty);
                throw new SignedOutException(error.Code == AuthErrorCodes.TokenReused
                    ? "This device's session was ended because its token was used elsewhere. Log in again."
                    : "Your session has ended. Log in again.");
            }
            if (!response.IsSuccessStatusCode)
            {
                throw await SyncApiException.FromAsync(response);
            }
            var tokens = (await response.Content.ReadFromJsonAsync<TokenResponse>(SyncJson.Options, cancellationToken))!;
            await SaveAsync(current.Server, tokens);
            return tokens.AccessToken;
        }
        finally
        {
            _refreshing.Release();
        }
    }
}
