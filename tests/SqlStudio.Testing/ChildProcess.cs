using System.Diagnostics;

namespace SqlStudio.Testing;

/// <summary>Runs a tool the tests need (node, npm) in a folder and hands back its exit code and output.</summary>
public static class ChildProcess
{
    public static async Task<(int Code, string Output, string Error)> RunAsync(string file, IEnumerable<string> arguments, string folder,
        TimeSpan? timeout = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(file) { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {file}.");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(timeout ?? TimeSpan.FromMinutes(3));
        return (process.ExitCode, await output, await error);
    }
}
