using SqlStudio.Testing;
namespace SqlStudio.Desktop.Tests;

/// <summary>One running app for a class of tests that only read (each test buys its own launch link and session).</summary>
public sealed class DesktopFixture : IAsyncLifetime
{
    public DesktopProcess App { get; private set; } = null!;

    public async Task InitializeAsync() => App = await DesktopProcess.StartAsync();

    public async Task DisposeAsync() => await App.DisposeAsync();
}
