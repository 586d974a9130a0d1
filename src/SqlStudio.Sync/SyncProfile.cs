using System.Net;

namespace SqlStudio.Sync;

/// <summary>
/// A profile is a device: one folder (<c>{home}/profiles/{name}</c>) with its local store and its session file.
/// Opening one wires the store, the token store, the session and the shared <see cref="SyncManager"/>.
/// </summary>
public sealed class SyncProfile : IAsyncDisposable
{
    private readonly HttpClient _http;

    private SyncProfile(string folder, LocalStore store, AuthSession auth, SyncApi api, SyncManager manager, HttpClient http)
    {
        Api = api;
        Folder = folder;
        Store = store;
        Auth = auth;
        Manager = manager;
        _http = http;
    }

    public string Folder { get; }
    public LocalStore Store { get; }
    public AuthSession Auth { get; }
    public SyncManager Manager { get; }

    /// <summary>Authenticated calls to the server for anything beyond sync (sessions, account).</summary>
    public SyncApi Api { get; }

    public static string DefaultHome() =>
        Environment.GetEnvironmentVariable("SQLSTUDIO_HOME") is { Length: > 0 } home ? home
        : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".sqlstudio");

    /// <summary>Opens a profile. The server is the one the profile signed in to, unless <paramref name="server"/> says otherwise.</summary>
    public static async Task<SyncProfile> OpenAsync(string home, string name, Uri? server = null, SyncClientOptions? options = null,
        TimeProvider? time = null, HttpMessageHandler? handler = null)
    {
        PrivateFiles.Folder(home);
        PrivateFiles.Folder(Path.Combine(home, "profiles"));
        var folder = PrivateFiles.Folder(Path.Combine(home, "profiles", name));
        var http = handler is null
            ? new HttpClient(new SocketsHttpHandler { AutomaticDecompression = DecompressionMethods.All, ConnectTimeout = TimeSpan.FromSeconds(10) })
            : new HttpClient(handler, disposeHandler: false);
        http.Timeout = TimeSpan.FromMinutes(2);
        ClientUserAgent.Apply(http, options?.Product ?? new SyncClientOptions().Product);
        time ??= TimeProvider.System;
        var store = new LocalStore(Path.Combine(folder, "store.db"));
        var auth = new AuthSession(new FileTokenStore(Path.Combine(folder, "session.json")), http, time);
        var saved = await auth.CurrentAsync();
        var address = server ?? (saved is null ? new Uri("http://localhost:5080") : new Uri(saved.Server));
        var api = new SyncApi(http, auth);
        var manager = new SyncManager(store, auth, api, address, options, time);
        return new SyncProfile(folder, store, auth, api, manager, http);
    }

    public async ValueTask DisposeAsync()
    {
        await Manager.DisposeAsync();
        Store.Dispose();
        _http.Dispose();
    }
}
