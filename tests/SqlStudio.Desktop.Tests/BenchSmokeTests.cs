using SqlStudio.Testing;

namespace SqlStudio.Desktop.Tests;

/// <summary>The desktop benchmark the README shows starts and runs end to end on small data (<c>--smoke</c>).</summary>
public sealed class BenchSmokeTests
{
    [Fact]
    public async Task DesktopBenchmark_Smoke_RunsEveryMeasurement()
    {
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}") ? "Release" : "Debug";
        var dll = Path.Combine(Repository.Root, "bench", "SqlStudio.Bench.Desktop", "bin", configuration, "net10.0", "SqlStudio.Bench.Desktop.dll");
        Assert.True(File.Exists(dll), $"{dll} is missing: build the solution (test.sh does) first.");

        var (code, output, error) = await ChildProcess.RunAsync("dotnet", [dll, "--smoke"], Path.GetDirectoryName(dll)!, TimeSpan.FromMinutes(5));

        Assert.True(code == 0, $"exit {code}:\n{output}\n{error}");
        Assert.Contains("smoke: ok", output);
        Assert.Contains("| First 1,000 rows", output);
        Assert.Contains("| Cancel to the query stopped", output);
        Assert.Contains("| Start to usable window, started again on the same data folder", output);
    }
}
