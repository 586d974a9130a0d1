using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using SqlStudio.Testing;

namespace SqlStudio.Server.Tests.LibSql;

/// <summary>
/// The Hrana test server is only worth what it agrees with: the official npm <c>@libsql/client</c> runs against it
/// (execute, batch, interactive transactions, executeMultiple). Where the two disagree, the test server is wrong.
/// </summary>
public sealed class OfficialClientTests : IAsyncLifetime
{
    private readonly string _folder = TestServer.NewDataDirectory();
    private HranaTestServer _hrana = null!;

    public async Task InitializeAsync()
    {
        _hrana = await HranaTestServer.StartAsync(Path.Combine(_folder, "official.db"));
        _hrana.RequiredToken = "official-token";
    }

    public async Task DisposeAsync()
    {
        await _hrana.DisposeAsync();
        Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task OfficialClient_SeesWhatSqldWouldAnswer()
    {
        var seen = await RunAsync("fidelity.mjs", _hrana.Url, "official-token");

        Assert.Equal(1, (int)seen["insert"]!["rowsAffected"]!);
        Assert.Equal("1", (string)seen["insert"]!["lastInsertRowid"]!);
        var select = seen["select"]!;
        Assert.Equal(["n", "r", "t", "b", "z"], select["columns"]!.AsArray().Select(c => (string)c!));
        Assert.Equal(long.MaxValue.ToString(), (string)select["n"]!);
        Assert.Equal(-1.5, (double)select["r"]!);
        Assert.Equal("héllo 日本 🚀", (string)select["t"]!);
        Assert.Equal([0, 1, 254, 255], select["b"]!.AsArray().Select(b => (int)b!));
        Assert.Null(select["z"]);
        Assert.Equal([1, 1], seen["batch"]!.AsArray().Select(n => (int)n!));
        Assert.Equal("SQLITE_ERROR", (string)seen["failedBatch"]!);
        Assert.Equal("0", (string)seen["afterFailedBatch"]!);
        Assert.Equal("1", (string)seen["insideTransaction"]!);
        Assert.Equal("0", (string)seen["afterRollback"]!);
        Assert.Equal("1", (string)seen["afterCommit"]!);
        Assert.Equal("2", (string)seen["afterExecuteMultiple"]!);
        Assert.StartsWith("SQLITE_CONSTRAINT", (string)seen["constraint"]!);
    }

    private static async Task<JsonObject> RunAsync(string script, params string[] arguments)
    {
        var folder = Path.Combine(Repository.Root, "tests", "SqlStudio.Server.Tests", "LibSql", "official-client");
        if (!File.Exists(Path.Combine(folder, "node_modules", "@libsql", "client", "package.json")))
        {
            var (code, _, error) = await ChildProcess.RunAsync("npm", ["ci", "--no-audit", "--no-fund", "--loglevel=error"], folder);
            Assert.True(code == 0, $"npm ci failed: {error}");
        }
        var (exit, output, stderr) = await ChildProcess.RunAsync("node", [script, .. arguments], folder);
        Assert.True(exit == 0, $"node {script} failed ({exit}): {stderr}");
        return JsonNode.Parse(output.Trim().Split('\n')[^1])!.AsObject();
    }
}
