using SqlStudio.Testing;

namespace SqlStudio.Cli.Tests;

/// <summary>Issue #22 §7: the CLI installs as a .NET tool the way docs/cli.md says, and the installed command runs.</summary>
public sealed class ToolPackageTests
{
    [Fact]
    public async Task Pack_ThenToolInstall_GivesAWorkingSqlstudioCommand()
    {
        var work = TestServer.NewDataDirectory();
        var packages = Path.Combine(work, "packages");
        var tools = Path.Combine(work, "tools");
        var project = Path.Combine(Repository.Root, "src", "SqlStudio.Cli");

        var pack = await ChildProcess.RunAsync("dotnet", ["pack", project, "-c", "Release", "-o", packages, "--nologo", "-p:NuGetAudit=false"], work, TimeSpan.FromMinutes(5));
        var install = await ChildProcess.RunAsync("dotnet", ["tool", "install", "--tool-path", tools, "--add-source", packages, "sqlstudio"], work, TimeSpan.FromMinutes(5));
        var help = await ChildProcess.RunAsync(Path.Combine(tools, "sqlstudio"), ["--help"], work, TimeSpan.FromMinutes(1));
        var whoami = await ChildProcess.RunAsync(Path.Combine(tools, "sqlstudio"), ["whoami", "--home", Path.Combine(work, "home")], work, TimeSpan.FromMinutes(1));

        Assert.True(pack.Code == 0, pack.Output + pack.Error);
        Assert.Single(Directory.GetFiles(packages, "sqlstudio.*.nupkg"));
        Assert.True(install.Code == 0, install.Output + install.Error);
        Assert.Equal(0, help.Code);
        Assert.Contains("sync", help.Output);
        Assert.Equal(3, whoami.Code);
        Assert.Contains("sqlstudio login", whoami.Output + whoami.Error);
    }
}
