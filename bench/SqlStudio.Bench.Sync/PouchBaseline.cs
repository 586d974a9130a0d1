using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SqlStudio.Bench.Sync;

/// <summary>pouchdb-server (LevelDB on disk, like our SQLite file) and PouchDB's replicator, run here from npm.</summary>
public sealed class PouchBaseline : IAsyncDisposable
{
    private readonly Process _server;
    private readonly string _folder;

    private PouchBaseline(Process server, string folder, Uri url)
    {
        _server = server;
        _folder = folder;
        Url = url;
    }

    public Uri Url { get; }

    public static string Directory => Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../"));

    public static async Task<PouchBaseline> StartAsync()
    {
        if (!File.Exists(Path.Combine(Directory, "node_modules", "pouchdb-server", "package.json")))
        {
            Run("npm", "ci --no-audit --no-fund --loglevel=error");
        }
        var port = SqlStudio.Testing.Loopback.FreePort();
        var folder = Path.Combine(Path.GetTempPath(), "pouch-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(folder);
        // pouchdb-server writes config.json and log.txt into its working folder: the run's own temporary folder.
        var script = Path.Combine(Directory, "node_modules", "pouchdb-server", "bin", "pouchdb-server");
        var server = Process.Start(new ProcessStartInfo("node",
            $"{script} --dir {folder} --port {port} --host 127.0.0.1 --no-stdout-logs")
        {
            WorkingDirectory = folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        server.OutputDataReceived += (_, _) => { };
        server.ErrorDataReceived += (_, _) => { };
        server.BeginOutputReadLine();
        server.BeginErrorReadLine();
        var url = new Uri($"http://127.0.0.1:{port}/");
        using var http = new HttpClient();
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                (await http.GetAsync(url)).EnsureSuccessStatusCode();
                break;
            }
            catch (HttpRequestException) when (attempt < 100)
            {
                await Task.Delay(100);
            }
        }
        return new PouchBaseline(server, folder, url);
    }

    /// <summary>Loads the records with _bulk_docs in batches; records/s.</summary>
    public async Task<double> LoadAsync(string db, IReadOnlyList<(string Type, string Id, JsonObject Data)> records, int batch)
    {
        using var http = new HttpClient { BaseAddress = Url };
        (await http.PutAsync(db, null)).EnsureSuccessStatusCode();
        var watch = Stopwatch.StartNew();
        foreach (var chunk in records.Chunk(batch))
        {
            var docs = new JsonArray(chunk.Select(r =>
            {
                var doc = (JsonObject)r.Data.DeepClone();
                doc["_id"] = r.Id;
                doc["type"] = r.Type;
                return (JsonNode)doc;
            }).ToArray());
            (await http.PostAsJsonAsync($"{db}/_bulk_docs", new JsonObject { ["docs"] = docs })).EnsureSuccessStatusCode();
        }
        return records.Count / watch.Elapsed.TotalSeconds;
    }

    public static JsonObject Replicate(Uri dbUrl, string mode, int count)
    {
        var output = Run("node", $"replicate.js {dbUrl} {mode} {count}");
        return JsonNode.Parse(output)!.AsObject();
    }

    /// <summary>Runs a PouchDB client scenario of e2e.js (initial, propagate, drain) with the given adapter.</summary>
    public static JsonObject Client(string mode, Uri url, string adapter, int count) =>
        JsonNode.Parse(Run("node", $"e2e.js {mode} {url} {adapter} {count}"))!.AsObject();

    public async ValueTask DisposeAsync()
    {
        try
        {
            _server.Kill(entireProcessTree: true);
            await _server.WaitForExitAsync();
        }
        catch (InvalidOperationException)
        {
        }
        try
        {
            System.IO.Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static string Run(string file, string arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(file, arguments)
        {
            WorkingDirectory = Directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        var output = process.StandardOutput.ReadToEnd();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {arguments} failed: {error}");
        }
        return output.Trim().Split('\n')[^1];
    }
}
