using System.Diagnostics;

namespace SqlStudio.Cli.Tests;

public sealed class HelpTests
{
    [Fact]
    public async Task NoArguments_PrintsHelpAndSucceeds()
    {
        var output = new StringWriter();

        var code = await CliApp.RunAsync([], output, output);

        Assert.Equal(0, code);
        Assert.Contains("Usage:", output.ToString());
        Assert.Contains("sqlstudio", output.ToString());
    }

    [Fact]
    public async Task UnknownCommand_FailsWithMessage()
    {
        var output = new StringWriter();

        var code = await CliApp.RunAsync(["frobnicate"], output, output);

        Assert.NotEqual(0, code);
        Assert.Contains("frobnicate", output.ToString());
    }

    [Fact]
    public async Task BuiltExecutable_Help_PrintsUsage()
    {
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { Path.Combine(AppContext.BaseDirectory, "sqlstudio.dll"), "--help" },
            RedirectStandardOutput = true,
        };
        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();

        Assert.Equal(0, process.ExitCode);
        Assert.Contains("Usage:", output);
    }
}
