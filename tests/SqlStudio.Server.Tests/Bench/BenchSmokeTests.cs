using SqlStudio.Testing;

namespace SqlStudio.Server.Tests.Bench;

/// <summary>
/// Every benchmark the README shows starts: its set-up (settings, server, a first request) runs with <c>--smoke</c>, so a
/// change of settings or API cannot break a benchmark unseen until someone measures.
/// </summary>
public sealed class BenchSmokeTests
{
    [Theory]
    [InlineData("SqlStudio.Bench.Auth")]
    [InlineData("SqlStudio.Bench.Sync")]
    public async Task Benchmark_Smoke_StartsAndExitsZero(string project)
    {
        var dll = BuiltBenchmark(project);

        var (code, output, error) = await ChildProcess.RunAsync("dotnet", [dll, "--smoke"], Path.GetDirectoryName(dll)!, TimeSpan.FromMinutes(3));

        Assert.True(code == 0, $"{project} --smoke exited {code}:\n{output}\n{error}");
        Assert.Contains("smoke: ok", output);
    }

    /// <summary>The benchmark built with the solution, in this test's own configuration.</summary>
    private static string BuiltBenchmark(string project)
    {
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}") ? "Release" : "Debug";
        var dll = Path.Combine(Repository.Root, "bench", project, "bin", configuration, "net10.0", project + ".dll");
        Assert.True(File.Exists(dll), $"{dll} is missing: build the solution (test.sh does) before the tests.");
        return dll;
    }
}
