using SqlStudio.Testing;

namespace SqlStudio.Cli.Tests;

/// <summary>Tried as a new user would with the server down (issue #16): a sentence and exit 4, never a stack trace.</summary>
public sealed class OfflineTests
{
    [Fact]
    public async Task Login_ServerDown_SaysSo_Exit4_NoStackTrace()
    {
        var home = TestServer.NewDataDirectory();
        var output = new StringWriter();

        var code = await CliApp.RunAsync(["login", "--server", $"http://127.0.0.1:{Loopback.FreePort()}", "--email", "ada@example.com",
            "--password", "Hunter2-long-pass", "--home", home, "--profile", "p"], output, output);

        Assert.Equal(4, code);
        Assert.Contains("Cannot reach the server", output.ToString());
        Assert.DoesNotContain("   at ", output.ToString());
        Assert.DoesNotContain("Exception", output.ToString());
    }
}
