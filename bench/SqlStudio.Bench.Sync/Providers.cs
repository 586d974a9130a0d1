using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using SqlStudio.Contracts;
using SqlStudio.Testing;
using static SqlStudio.Bench.Sync.Stats;

namespace SqlStudio.Bench.Sync;

/// <summary>
/// bench/sync-providers: the same requests on the embedded SQLite file and on a real libsql-server (sqld, JWT auth)
/// behind a proxy that adds a one-way delay on the way in (<c>--rtt 0,5,20,50</c>, milliseconds), side by side in one
/// run: single-edit push p50/p95, single-edit pushes/s with 8 and 32 users at once, push of 500-record batches,
/// full pull of 10,000 records, login p50, and the database round trips of each call.
/// </summary>
public static class Providers
{
    private sealed record Figures(string Name, List<double> SingleEdit, double Users8, double Users32, double Batch500, double FullPullMs,
        double LoginMs, IReadOnlyDictionary<string, int> Trips);

    public static async Task RunAsync(bool quick, IReadOnlyList<int> delays)
    {
        var count = quick ? 2000 : 10_000;
        var records = Dataset.Create(count);
        var results = new List<Figures> { await MeasureAsync("sqlite (embedded file)", null, records, quick) };
        foreach (var delay in delays)
        {
            results.Add(await MeasureAsync($"libsql-server, +{delay} ms", delay, records, quick));
        }
        var inv = CultureInfo.InvariantCulture;
        Console.WriteLine($"# bench/sync-providers — {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, .NET {Environment.Version}, {count:N0} records");
        Console.WriteLine();
        Console.WriteLine("| measure | " + string.Join(" | ", results.Select(r => r.Name)) + " |");
        Console.WriteLine("|---|" + string.Join("", results.Select(_ => "---|")));
        void Line(string measure, Func<Figures, string> value) => Console.WriteLine($"| {measure} | " + string.Join(" | ", results.Select(value)) + " |");
        Line("single-edit push p50, ms", r => Percentile(r.SingleEdit, 50).ToString("F1", inv));
        Line("single-edit push p95, ms", r => Percentile(r.SingleEdit, 95).ToString("F1", inv));
        Line("single-edit pushes/s, 8 users at once", r => r.Users8.ToString("N0", inv));
        Line("single-edit pushes/s, 32 users at once", r => r.Users32.ToString("N0", inv));
        Line("push in batches of 500, records/s", r => r.Batch500.ToString("N0", inv));
        Line($"full pull of {count:N0} records, ms", r => r.FullPullMs.ToString("F0", inv));
        Line("login p50, ms (hash included)", r => r.LoginMs.ToString("F0", inv));
        foreach (var call in results[1].Trips.Keys)
        {
            Line($"round trips: {call}", r => r.Trips.TryGetValue(call, out var n) && r.Name.StartsWith("libsql", StringComparison.Ordinal) ? n.ToString(inv) : "–");
        }
        if (results.Count > 1 && delays.Contains(0))
        {
            var loopback = results[delays.ToList().IndexOf(0) + 1];
            Console.WriteLine();
            Console.WriteLine(string.Format(inv, "libsql-server on loopback ÷ embedded file: single-edit pushes/s with 32 users {0:F2}×, batch push {1:F2}×.",
                loopback.Users32 / results[0].Users32, loopback.Batch500 / results[0].Batch500));
        }
    }

    private static async Task<Figures> MeasureAsync(string name, int? delayMs, List<(string Type, string Id, JsonObject Data)> records, bool quick)
    {
        var data = TestServer.NewDataDirectory();
        SqldServer? sqld = null;
        TcpProxy? proxy = null;
        try
        {
            if (delayMs is { } delay)
            {
                sqld = await SqldServer.StartAsync(data);
                proxy = new TcpProxy(new Uri(sqld.Url)) { Latency = TimeSpan.FromMilliseconds(delay) };
            }
            await using var server = await TestServer.StartAsync(o =>
            {
                o.DataDirectory = data;
                o.Settings["Logging:LogLevel:Default"] = "Error";
                o.Settings["Database:Provider"] = sqld is null ? "sqlite" : "libsql";
                if (sqld is not null)
                {
                    o.Settings["Database:Url"] = delayMs == 0 ? sqld.Url : proxy!.Address.ToString().TrimEnd('/');
                    o.Settings["Database:AuthToken"] = sqld.Token;
                }
            });
            var trips = new Dictionary<string, int>();
            int Trips(HttpResponseMessage response) => int.Parse(response.Headers.GetValues("X-Db-Round-Trips").Single(), CultureInfo.InvariantCulture);

            // Single edits, one after another, by one user (session cached after the first).
            var user = await SyncClient.NewUserAsync(server);
            await user.Http.GetAsync("/api/sync/head");
            var single = new List<double>();
            for (var i = 0; i < (quick ? 20 : 60); i++)
            {
                var watch = Stopwatch.StartNew();
                var response = await user.PushRawAsync("bench", [Edit($"single-{i}")]);
                single.Add(watch.Elapsed.TotalMilliseconds);
                response.EnsureSuccessStatusCode();
                trips["push, 1 edit"] = Trips(response);
            }

            var users8 = await ConcurrentAsync(server, 8, TimeSpan.FromSeconds(quick ? 3 : 8));
            var users32 = await ConcurrentAsync(server, 32, TimeSpan.FromSeconds(quick ? 3 : 8));

            var bulk = await SyncClient.NewUserAsync(server);
            var batchWatch = Stopwatch.StartNew();
            foreach (var chunk in records.Chunk(500))
            {
                var response = await bulk.PushRawAsync("bench", chunk.Select(r => SyncClient.Upsert(r.Type, r.Id, 0, "2026-11-20T10:00:00Z", r.Data)));
                response.EnsureSuccessStatusCode();
                trips["push, 500 records"] = Trips(response);
            }
            var batch500 = records.Count / batchWatch.Elapsed.TotalSeconds;

            var pulls = new List<double>();
            for (var run = 0; run < (quick ? 2 : 4); run++)
            {
                var watch = Stopwatch.StartNew();
                var (all, _) = await bulk.PullAllAsync();
                pulls.Add(watch.Elapsed.TotalMilliseconds);
                if (all.Count != records.Count)
                {
                    throw new InvalidOperationException($"{name}: pulled {all.Count} of {records.Count}");
                }
            }
            pulls.RemoveAt(0);
            var page = await bulk.Http.GetAsync("/api/sync/changes?cursor=0&limit=1000");
            trips["pull page of 1,000"] = Trips(page);
            trips["head"] = Trips(await bulk.Http.GetAsync("/api/sync/head"));

            var api = new AuthClient(server);
            var logins = new List<double>();
            for (var i = 0; i < (quick ? 5 : 15); i++)
            {
                var watch = Stopwatch.StartNew();
                var login = await api.PostAsync("/api/auth/login", new { email = user.Tokens.User.Email, password = AuthClient.Password });
                logins.Add(watch.Elapsed.TotalMilliseconds);
                login.EnsureSuccessStatusCode();
                trips["login"] = Trips(login);
            }
            var tokens = await api.LoginAsync(user.Tokens.User.Email);
            trips["refresh"] = Trips(await api.PostAsync("/api/auth/refresh", new { refresh_token = tokens.RefreshToken }));

            Console.Error.WriteLine($"{name}: single p50 {Percentile(single, 50):F1} ms, 8 users {users8:F0}/s, 32 users {users32:F0}/s, batch {batch500:F0} records/s");
            return new Figures(name, single, users8, users32, batch500, Median(pulls), Median(logins), trips);
        }
        finally
        {
            if (proxy is not null)
            {
                await proxy.DisposeAsync();
            }
            if (sqld is not null)
            {
                await sqld.DisposeAsync();
            }
            try
            {
                Directory.Delete(data, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private static JsonObject Edit(string id) =>
        SyncClient.Upsert("saved_queries", id, 0, "2026-11-20T10:00:00Z", new JsonObject { ["title"] = id, ["sql"] = "select 1" });

    /// <summary>Many users, each pushing single edits back to back for <paramref name="duration"/>: pushes per second for the service.</summary>
    private static async Task<double> ConcurrentAsync(TestServer server, int users, TimeSpan duration)
    {
        var clients = new List<SyncClient>();
        for (var i = 0; i < users; i++)
        {
            var client = await SyncClient.NewUserAsync(server);
            await client.Http.GetAsync("/api/sync/head");
            clients.Add(client);
        }
        var done = 0;
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(clients.Select(async (client, u) =>
        {
            for (var i = 0; watch.Elapsed < duration; i++)
            {
                var response = await client.PushRawAsync("bench", [Edit($"u{u}-{i}")]);
                response.EnsureSuccessStatusCode();
                Interlocked.Increment(ref done);
            }
        }));
        return done / watch.Elapsed.TotalSeconds;
    }
}
