using System.Diagnostics;
using SqlStudio.Testing;

namespace SqlStudio.Server.Tests.Web;

/// <summary>Bad configuration stops the server at start, every bad key named, no stack trace.</summary>
public sealed class ConfigurationTests
{
    [Theory]
    [InlineData("Auth:AccessTokenLifetime", "00:00:00", "Database:MaxConcurrentWrites", "0")]
    [InlineData("Sync:MaxPageSize", "many", null, null)]
    [InlineData("Database:Provider", "postgres", "Email:Mode", "carrier-pigeon")]
    public async Task BadValue_StopsTheStart_NamingEachKey(string key, string value, string? key2, string? value2)
    {
        var data = TestServer.NewDataDirectory();
        var options = new TestServerOptions();
        options.Settings[key] = value;
        if (key2 is not null)
        {
            options.Settings[key2] = value2;
        }
        var start = new ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, "SqlStudio.Server"))
        {
            RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = data,
        };
        foreach (var (name, setting) in TestServer.Settings(options, data))
        {
            start.ArgumentList.Add($"--{name}={setting}");
        }
        start.ArgumentList.Add($"--urls=http://127.0.0.1:{Loopback.FreePort()}");

        using var server = Process.Start(start)!;
        var output = server.StandardOutput.ReadToEndAsync();
        var errors = server.StandardError.ReadToEndAsync();
        await server.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));

        var said = await errors;
        Assert.Equal(1, server.ExitCode);
        Assert.Contains("configuration is invalid", said, StringComparison.Ordinal);
        Assert.Contains(key, said, StringComparison.Ordinal);
        if (key2 is not null)
        {
            Assert.Contains(key2, said, StringComparison.Ordinal);
        }
        Assert.DoesNotContain("   at ", said + await output, StringComparison.Ordinal);
    }
}
