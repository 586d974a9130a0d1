using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using SqlStudio.Contracts;
using SqlStudio.Testing;
using static SqlStudio.Bench.Sync.Stats;

namespace SqlStudio.Bench.Sync;

/// <summary>
/// bench/sync-providers: the same sync-server work on the embedded SQLite file and on the libSQL provider (Hrana over
/// loopback HTTP to the Hrana test server, whose statements run on SQLite too), side by side, so the figures show what
/// the HTTP hop and the Hrana encoding cost.
/// </summary>
public static class Providers
{
    private sealed record Figures(double Push, double FullPullMs, List<double> Incremental, int Pipelines);

    public static async Task RunAsync(bool quick)
    {
        var count = quick ? 2000 : 10_000;
        var records = Dataset.Create(count);
        var sqlite = await MeasureAsync("sqlite", records, quick);
        var libsql = await MeasureAsync("libsql", records, quick);
        var inv = CultureInfo.InvariantCulture;
        Console.WriteLine($"# bench/sync-providers — {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, .NET {Environment.Version}, {count:N0} records");
        Console.WriteLine();
        Console.WriteLine("| measure | sqlite (embedded file) | libsql (Hrana over loopback HTTP) | libsql ÷ sqlite |");
        Console.WriteLine("|---|---|---|---|");
        Console.WriteLine(string.Format(inv, "| push in batches of 500, records/s | {0:N0} | {1:N0} | {2:F2}× |", sqlite.Push, libsql.Push, libsql.Push / sqlite.Push));
        Console.WriteLine(string.Format(inv, "| full pull of {0:N0} records, ms (median) | {1:F0} | {2:F0} | {3:F2}× |", count, sqlite.FullPullMs, libsql.FullPullMs, libsql.FullPullMs / sqlite.FullPullMs));
        foreach (var p in new[] { 50, 95, 99 })
        {
            var a = Percentile(sqlite.Incremental, p);
            var b = Percentile(libsql.Incremental, p);
            Console.WriteLine(string.Format(inv, "| 100-change incremental pull p{0}, ms | {1:F1} | {2:F1} | {3:F2}× |", p, a, b, b / a));
        }
        Console.WriteLine(string.Format(inv, "| Hrana pipelines sent | – | {0:N0} | |", libsql.Pipelines));
    }

    private static async Task<Figures> MeasureAsync(string provider, List<(string Type, string Id, JsonObject Data)> records, bool quick)
    {
        var data = TestServer.NewDataDirectory();
        HranaTestServer? hrana = provider == "libsql" ? await HranaTestServer.StartAsync(Path.Combine(data, "sqlstudio.db")) : null;
        try
        {
            await using var server = await TestServer.StartAsync(o =>
            {
                o.DataDirectory = data;
                o.Settings["Logging:LogLevel:Default"] = "Error";
                o.Settings["Database:Provider"] = provider;
                if (hrana is not null)
                {
                    o.Settings["Database:Url"] = hrana.Url;
                }
            });
            var user = await SyncClient.NewUserAsync(server);

            var watch = Stopwatch.StartNew();
            foreach (var chunk in records.Chunk(500))
            {
                var pushed = await user.PushAsync("bench", chunk.Select(r => SyncClient.Upsert(r.Type, r.Id, 0, "2026-11-20T10:00:00Z", r.Data)).ToArray());
                if (pushed.Results.Any(r => r.Status != MutationStatus.Applied))
                {
                    throw new InvalidOperationException($"{provider}: a push was not applied");
                }
            }
            var push = records.Count / watch.Elapsed.TotalSeconds;

            var pulls = new List<double>();
            for (var run = 0; run < (quick ? 3 : 6); run++)
            {
                watch.Restart();
                var (all, _) = await user.PullAllAsync();
                pulls.Add(watch.Elapsed.TotalMilliseconds);
                if (all.Count != records.Count)
                {
                    throw new InvalidOperationException($"{provider}: pulled {all.Count} of {records.Count}");
                }
            }
            pulls.RemoveAt(0); // the first run warms the JIT and the caches

            var since = (await user.GetAsync<HeadResponse>("/api/sync/head")).Cursor;
            var editable = records.Where(r => r.Type is "saved_queries" or "query_tabs").ToList();
            var versions = new Dictionary<string, long>();
            var incremental = new List<double>();
            for (var round = 0; round < (quick ? 20 : 100); round++)
            {
                var picked = editable.Skip(round * 100 % (editable.Count - 100)).Take(100);
                await user.PushAsync("editor", picked.Select(r =>
                {
                    var version = versions.GetValueOrDefault(r.Id, 1);
                    versions[r.Id] = version + 1;
                    return SyncClient.Upsert(r.Type, r.Id, version, "2026-11-20T11:00:00Z", new JsonObject { ["title"] = $"edited {round}" });
                }).ToArray());
                watch.Restart();
                var page = await user.ChangesAsync(since, limit: 1000);
                incremental.Add(watch.Elapsed.TotalMilliseconds);
                since = page.NextCursor;
            }
            Console.Error.WriteLine($"{provider}: push {push:F0} records/s, full pull {Percentile(pulls, 50):F0} ms, incremental p50 {Percentile(incremental, 50):F1} ms");
            return new Figures(push, Percentile(pulls, 50), incremental, hrana?.PipelineRequests ?? 0);
        }
        finally
        {
            if (hrana is not null)
            {
                await hrana.DisposeAsync();
            }
            Directory.Delete(data, recursive: true);
        }
    }
}
