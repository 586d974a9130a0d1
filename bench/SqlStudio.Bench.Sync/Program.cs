// bench/sync-server (default), bench/sync-e2e (`-- e2e`) and bench/sync-providers (`-- providers`: the same
// server work on the SQLite and the libSQL provider, side by side).
// bench/sync-server: full pull of 10,000 mixed records, 100-change incremental pulls, pushes in batches of
// 100/500/1000 — records/s, p50/p95/p99, bytes on the wire with and without compression — and, in the same
// run, the same records through pouchdb-server and PouchDB replication as the baseline.
//   dotnet run -c Release --project bench/SqlStudio.Bench.Sync [-- --quick]
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using SqlStudio.Bench.Sync;
using SqlStudio.Contracts;
using SqlStudio.Testing;
using static SqlStudio.Bench.Sync.Stats;

var quick = args.Contains("--quick");
if (args.Contains("--smoke"))
{
    // Each mode's server set-up, one push and one pull: what the smoke test runs so no mode rots unseen.
    await SmokeAsync();
    Console.WriteLine("smoke: ok");
    return;
}
if (args.Contains("e2e"))
{
    // bench/sync-e2e: the client SDK end to end (its own section in docs/benchmarks.md).
    await EndToEnd.RunAsync(quick);
    return;
}
if (args.Contains("propagation"))
{
    await (args.Contains("--idle") ? Propagation.IdleOnlyAsync(quick) : Propagation.RunAsync(quick));
    return;
}
if (args.Contains("providers"))
{
    // --rtt 0,5,20,50: one-way delays (ms) added in front of libsql-server, one column each.
    var rtt = Array.IndexOf(args, "--rtt") is var at and >= 0 && at + 1 < args.Length ? args[at + 1] : "0,20";
    await Providers.RunAsync(quick, rtt.Split(',').Select(v => int.Parse(v, CultureInfo.InvariantCulture)).ToList());
    return;
}
var count = quick ? 2000 : 10_000;
var pullRuns = quick ? 2 : 5;
var rounds = quick ? 20 : 100;
var records = Dataset.Create(count);
var jsonBytes = records.Select(r => r.Data.ToJsonString().Length).ToList();
var inv = CultureInfo.InvariantCulture;
Console.Error.WriteLine($"{records.Count} records, {jsonBytes.Min()}–{jsonBytes.Max()} B of JSON each, {jsonBytes.Sum() / 1024 / 1024.0:F1} MiB in all");

await using var server = await TestServer.StartAsync(o => o.Settings["Logging:LogLevel:Default"] = "Error");

// --- Ours: pushes ---------------------------------------------------------------------------------------
var pushRates = new Dictionary<int, double>();
SyncClient? main = null;
foreach (var batch in new[] { 100, 500, 1000 })
{
    var user = await SyncClient.NewUserAsync(server);
    var watch = Stopwatch.StartNew();
    foreach (var chunk in records.Chunk(batch))
    {
        var response = await user.PushAsync("bench", chunk.Select(r => SyncClient.Upsert(r.Type, r.Id, 0, "2026-11-20T10:00:00Z", r.Data)).ToArray());
        if (response.Results.Any(r => r.Status != MutationStatus.Applied))
        {
            throw new InvalidOperationException(JsonSerializer.Serialize(response.Results.First(r => r.Status != MutationStatus.Applied)));
        }
    }
    pushRates[batch] = records.Count / watch.Elapsed.TotalSeconds;
    main = user;
    Console.Error.WriteLine($"push batch {batch}: {pushRates[batch]:F0} records/s");
}

// --- Ours: full pull, with and without compression ------------------------------------------------------
using var raw = new HttpClient(new HttpClientHandler { AutomaticDecompression = DecompressionMethods.None }) { BaseAddress = server.BaseAddress };
raw.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", main!.Tokens.AccessToken);
using var client = new HttpClient(new HttpClientHandler { AutomaticDecompression = DecompressionMethods.All }) { BaseAddress = server.BaseAddress };
client.DefaultRequestHeaders.Authorization = raw.DefaultRequestHeaders.Authorization;

async Task<(long Bytes, int Records)> PullBytesAsync(string? encoding)
{
    long cursor = 0, bytes = 0;
    var pulled = 0;
    while (true)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/sync/changes?cursor={cursor}&limit=1000");
        if (encoding is not null)
        {
            request.Headers.AcceptEncoding.ParseAdd(encoding);
        }
        using var response = await raw.SendAsync(request);
        bytes += (await response.Content.ReadAsByteArrayAsync()).Length;
        var page = encoding is null ? await DecodeAsync(response) : null;
        if (page is null)
        {
            using var again = await client.GetAsync($"/api/sync/changes?cursor={cursor}&limit=1000");
            page = await DecodeAsync(again);
        }
        pulled += page["changes"]!.AsObject().Sum(t => t.Value!.AsArray().Count);
        cursor = page["next_cursor"]!.GetValue<long>();
        if (!page["has_more"]!.GetValue<bool>())
        {
            return (bytes, pulled);
        }
    }
}

static async Task<JsonObject> DecodeAsync(HttpResponseMessage response) =>
    JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();

async Task<double> FullPullMsAsync()
{
    var watch = Stopwatch.StartNew();
    long cursor = 0;
    var pulled = 0;
    while (true)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/sync/changes?cursor={cursor}&limit=1000");
        request.Headers.AcceptEncoding.ParseAdd("br");
        using var response = await client.SendAsync(request);
        var page = await DecodeAsync(response);
        pulled += page["changes"]!.AsObject().Sum(t => t.Value!.AsArray().Count);
        cursor = page["next_cursor"]!.GetValue<long>();
        if (!page["has_more"]!.GetValue<bool>())
        {
            break;
        }
    }
    if (pulled != count)
    {
        throw new InvalidOperationException($"pulled {pulled} of {count}");
    }
    return watch.Elapsed.TotalMilliseconds;
}

await FullPullMsAsync();
var pullTimes = new List<double>();
for (var i = 0; i < pullRuns; i++)
{
    pullTimes.Add(await FullPullMsAsync());
}
var (identityBytes, _) = await PullBytesAsync(null);
var (brotliBytes, _) = await PullBytesAsync("br");
var (gzipBytes, _) = await PullBytesAsync("gzip");
Console.Error.WriteLine($"full pull: {Median(pullTimes):F0} ms");

// --- Ours: 100-change incremental pulls -----------------------------------------------------------------
var head = await main.GetAsync<HeadResponse>("/api/sync/head");
var since = head.Cursor;
var versions = new Dictionary<string, long>();
var editable = records.Where(r => r.Type is "saved_queries" or "query_tabs").ToList();
var incremental = new List<double>();
for (var round = 0; round < rounds; round++)
{
    var picked = editable.Skip(round * 100 % (editable.Count - 100)).Take(100).ToList();
    await main.PushAsync("editor", picked.Select(r =>
    {
        var version = versions.GetValueOrDefault(r.Id, 1);
        versions[r.Id] = version + 1;
        return SyncClient.Upsert(r.Type, r.Id, version, "2026-11-20T11:00:00Z", new JsonObject { ["title"] = $"edited {round}" });
    }).ToArray());
    var watch = Stopwatch.StartNew();
    using var response = await client.GetAsync($"/api/sync/changes?cursor={since}&limit=1000");
    var page = await DecodeAsync(response);
    incremental.Add(watch.Elapsed.TotalMilliseconds);
    since = page["next_cursor"]!.GetValue<long>();
}

// --- Baseline: pouchdb-server ---------------------------------------------------------------------------
await using var pouch = await PouchBaseline.StartAsync();
var pouchLoad = new Dictionary<int, double>();
foreach (var batch in new[] { 100, 500, 1000 })
{
    pouchLoad[batch] = await pouch.LoadAsync($"bench{batch}", records, batch);
    Console.Error.WriteLine($"pouch _bulk_docs batch {batch}: {pouchLoad[batch]:F0} records/s");
}
var pouchFull = PouchBaseline.Replicate(new Uri(pouch.Url, "bench1000"), "full", pullRuns + 1);
var pouchFullTimes = pouchFull["runs_ms"]!.AsArray().Skip(1).Select(n => n!.GetValue<double>()).ToList();
if (pouchFull["docs"]!.GetValue<int>() != count)
{
    throw new InvalidOperationException("PouchDB replicated a different number of documents.");
}
var pouchIncremental = PouchBaseline.Replicate(new Uri(pouch.Url, "bench1000"), "incremental", Math.Min(rounds, 50))["rounds_ms"]!
    .AsArray().Select(n => n!.GetValue<double>()).ToList();

// --- Report ---------------------------------------------------------------------------------------------

var ourRate = count / (Median(pullTimes) / 1000);
var pouchRate = count / (Median(pouchFullTimes) / 1000);
Console.WriteLine($"# bench/sync-server — {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, .NET {Environment.Version}, {count:N0} records ({jsonBytes.Sum() / 1024 / 1024.0:F1} MiB of JSON)");
Console.WriteLine();
Console.WriteLine("| measure | SQL Studio Cloud | pouchdb-server + PouchDB replication | ratio |");
Console.WriteLine("|---|---|---|---|");
Console.WriteLine(string.Format(inv, "| full pull, records/s (median of {0}) | {1:N0} ({2:F0} ms) | {3:N0} ({4:F0} ms) | **{5:F1}×** |",
    pullRuns, ourRate, Median(pullTimes), pouchRate, Median(pouchFullTimes), ourRate / pouchRate));
Console.WriteLine(string.Format(inv, "| 100-change incremental pull p50 / p95 / p99 | {0:F1} / {1:F1} / {2:F1} ms | {3:F1} / {4:F1} / {5:F1} ms | {6:F1}× (p99) |",
    Percentile(incremental, 50), Percentile(incremental, 95), Percentile(incremental, 99),
    Percentile(pouchIncremental, 50), Percentile(pouchIncremental, 95), Percentile(pouchIncremental, 99),
    Percentile(pouchIncremental, 99) / Percentile(incremental, 99)));
foreach (var batch in new[] { 100, 500, 1000 })
{
    Console.WriteLine(string.Format(inv, "| push / _bulk_docs in batches of {0}, records/s | {1:N0} | {2:N0} | {3:F1}× |",
        batch, pushRates[batch], pouchLoad[batch], pushRates[batch] / pouchLoad[batch]));
}
Console.WriteLine(string.Format(inv, "| full pull bytes: identity / gzip / brotli | {0:N0} / {1:N0} / {2:N0} | | brotli {3:P0} smaller |",
    identityBytes, gzipBytes, brotliBytes, 1 - brotliBytes / (double)identityBytes));

static async Task SmokeAsync()
{
    await using var server = await TestServer.StartAsync(o =>
    {
        o.Settings["Logging:LogLevel:Default"] = "Error";
        o.Settings["Sync:Events:HeartbeatInterval"] = "00:00:15";
    });
    var user = await SyncClient.NewUserAsync(server);
    var records = Dataset.Create(200);
    var pushed = await user.PushAsync("smoke", records.Select(r => SyncClient.Upsert(r.Type, r.Id, 0, "2026-11-20T10:00:00Z", r.Data)).ToArray());
    if (pushed.Results.Any(r => r.Status != MutationStatus.Applied))
    {
        throw new InvalidOperationException("smoke push: " + JsonSerializer.Serialize(pushed.Results.First(r => r.Status != MutationStatus.Applied)));
    }
}
