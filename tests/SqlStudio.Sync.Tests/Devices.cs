using Microsoft.Extensions.Time.Testing;
using SqlStudio.Contracts;
using SqlStudio.Testing;

namespace SqlStudio.Sync.Tests;

/// <summary>Several devices of one user: separate profile folders (stores) signed in to one test server.</summary>
public sealed class Devices : IAsyncDisposable
{
    private readonly List<SyncProfile> _profiles = [];

    private Devices(TestServer server, string home, TokenResponse user)
    {
        Server = server;
        Home = home;
        User = user;
    }

    public TestServer Server { get; }
    public string Home { get; }
    public TokenResponse User { get; }
    public IReadOnlyList<SyncProfile> Profiles => _profiles;

    public static async Task<Devices> StartAsync(TestServer server)
    {
        var user = await new AuthClient(server).RegisterVerifiedAsync();
        return new Devices(server, TestServer.NewDataDirectory(), user);
    }

    /// <summary>Opens (or reopens, as after a restart) a device's profile and signs it in if needed.</summary>
    public async Task<SyncProfile> OpenAsync(string name, SyncClientOptions? options = null, FakeTimeProvider? time = null, Uri? server = null)
    {
        var profile = await SyncProfile.OpenAsync(Home, name, server ?? Server.BaseAddress, options, time);
        if (await profile.Auth.CurrentAsync() is null)
        {
            await profile.Auth.SignInAsync(server ?? Server.BaseAddress, User.User.Email, AuthClient.Password, name, name);
        }
        _profiles.Add(profile);
        return profile;
    }

    public async Task CloseAsync(SyncProfile profile)
    {
        _profiles.Remove(profile);
        await profile.DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var profile in _profiles)
        {
            await profile.DisposeAsync();
        }
    }
}
