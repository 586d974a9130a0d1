using System.Text.Json.Nodes;
using SqlStudio.Testing;

namespace SqlStudio.Server.Tests.Web;

/// <summary>
/// The OpenAPI document the server serves passes Redocly's recommended rules with no error and no warning (npm <c>@redocly/cli</c>,
/// installed by the test), and says how each operation is authenticated and that failures are Problem Details.
/// </summary>
public sealed class OpenApiLintTests
{
    private static readonly string Folder = Path.Combine(Repository.Root, "tests", "SqlStudio.Server.Tests", "Web", "openapi-lint");

    [Fact]
    public async Task OpenApiDocument_PassesRedoclyLint_WithNoErrorOrWarning()
    {
        await using var server = await TestServer.StartAsync();
        var json = await server.CreateClient().GetStringAsync("/openapi/v1.json");
        var document = JsonNode.Parse(json)!;
        var file = Path.Combine(TestServer.NewDataDirectory(), "openapi.json");
        await File.WriteAllTextAsync(file, json);
        if (!File.Exists(Path.Combine(Folder, "node_modules", "@redocly", "cli", "package.json")))
        {
            var (code, _, error) = await RunAsync("npm", ["ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"]);
            Assert.True(code == 0, $"npm ci failed: {error}");
        }

        var (exit, output, stderr) = await RunAsync("node", [Path.Combine("node_modules", "@redocly", "cli", "bin", "cli.js"), "lint", file,
            "--config", "redocly.yaml", "--format", "stylish", "--max-problems", "1000"]);

        Assert.True(exit == 0, $"redocly lint found errors:\n{output}\n{stderr}");
        // A stylish report lists each problem as "line:column  severity  rule".
        Assert.DoesNotMatch(@"\d+:\d+\s+warning\s", output + stderr);
        // What the lint cannot see: the push needs a bearer token, the login none, and a push's failures are Problem Details.
        var push = document["paths"]!["/api/sync/push"]!["post"]!;
        Assert.Equal("bearer", push["security"]![0]!.AsObject().Single().Key);
        Assert.Empty(document["paths"]!["/api/auth/login"]!["post"]!["security"]![0]!.AsObject());
        Assert.Equal("#/components/schemas/Problem", (string)push["responses"]!["4XX"]!["content"]!["application/problem+json"]!["schema"]!["$ref"]!);
        // Typed results: every API operation that answers 200 says what it answers with (the sign-in redirect aside).
        var silent = document["paths"]!.AsObject()
            .Where(p => p.Key.StartsWith("/api/", StringComparison.Ordinal) && p.Key != "/api/auth/oauth/{provider}")
            .SelectMany(p => p.Value!.AsObject().Select(op => (Path: p.Key, Method: op.Key, Ok: op.Value!["responses"]!["200"])))
            .Where(op => op.Ok is not null && op.Ok["content"] is null)
            .Select(op => $"{op.Method} {op.Path}").ToList();
        Assert.Empty(silent);
    }

    private static Task<(int Code, string Output, string Error)> RunAsync(string file, string[] arguments) =>
        ChildProcess.RunAsync(file, arguments, Folder,
            environment: new Dictionary<string, string> { ["REDOCLY_TELEMETRY"] = "off", ["REDOCLY_SUPPRESS_UPDATE_NOTICE"] = "true" });
}
