using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using SqlStudio.Sync;
using SqlStudio.Testing;
using static SqlStudio.Bench.Sync.Stats;

namespace SqlStudio.Bench.Sync;

/// <summary>
/// bench/sync-propagation: an edit made through the SDK on device A until it is in device B's local store, both workers
/// running, nobody calling push or pull by hand. Measured (a) on one instance on SQLite, (b) with A and B on two
/// instances sharing a real libsql-server, joined by a real redis-server, (c) through nginx with the shipped config,
/// and beside them the previous poll-based worker (real time off, its default 30 s poll). Also: 1,000 idle open
/// streams, the server's extra memory and CPU.
/// </summary>
public static class Propagation
{
    /// <summary>Only the idle-streams figure (<c>propagation --idle</c>).</summary>
    public static async Task IdleOnlyAsync(bool quick)
    {
        var idle = await IdleStreamsAsync(quick ? 200 : 1000);
        Console.WriteLine(string.Format(CultureInfo.InvariantCulture, "{0:N0} idle event streams (one user each): +{1:F0} MB server RSS, {2:F2} % of one core over {3:F0} s idle.",
            idle.Streams, idle.ExtraMb, idle.CpuPercent, idle.IdleSeconds));
    }

    public static async Task RunAsync(bool quick)
    {
        var edits = quick ? 50 : 200;
        var inv = CultureInfo.InvariantCulture;
        var rows = new List<string>();

        await using (var server = await TestServer.StartAsync(o => o.Settings["Logging:LogLevel:Default"] = "Error"))
        {
            var a = await MeasureAsync(server.BaseAddress, server.BaseAddress, server, edits, realtime: true);
            rows.Add(Row("(a) one instance, SQLite", a));
        }

        await using (var redis = await RedisServer.StartAsync())
        await using (var sqld = await SqldServer.StartAsync(TestServer.NewDataDirectory()))
        {
            void Shared(TestServerOptions o)
            {
                o.Settings["Logging:LogLevel:Default"] = "Error";
                o.Settings["Notifications:Redis"] = redis.ConnectionString;
                o.UseSqld(sqld);
            }
            await using var first = await TestServer.StartAsync(Shared);
            await using var second = await TestServer.StartAsync(o =>
            {
                Shared(o);
                o.DataDirectory = first.DataDirectory;
            });
            var b = await MeasureAsync(first.BaseAddress, second.BaseAddress, first, edits, realtime: true);
            rows.Add(Row("(b) two instances + Redis, libsql-server, A and B on different instances", b));
        }

        await using (var server = await TestServer.StartAsync(o => o.Settings["Logging:LogLevel:Default"] = "Error"))
        await using (var nginx = await NginxServer.StartAsync(server.BaseAddress))
        {
            var c = await MeasureAsync(nginx.Address, nginx.Address, server, edits, realtime: true);
            rows.Add(Row("(c) one instance behind nginx (deploy/nginx/sqlstudio.conf)", c));
        }

        await using (var server = await TestServer.StartAsync(o => o.Settings["Logging:LogLevel:Default"] = "Error"))
        {
            var polled = await MeasureAsync(server.BaseAddress, server.BaseAddress, server, quick ? 3 : 8, realtime: false);
            rows.Add(Row("previous worker: poll every 30 s (real time off)", polled));
        }

        await using (var pouch = await PouchBaseline.StartAsync())
        {
            var live = PouchBaseline.Client("live", pouch.Url, "memory", edits)["rounds_ms"]!.AsArray().Select(v => v!.GetValue<double>()).ToList();
            rows.Add(Row("PouchDB live replication (`live: true`, memory adapter) through pouchdb-server", live));
        }

        var idle = await IdleStreamsAsync(quick ? 200 : 1000);

        Console.WriteLine($"# bench/sync-propagation — {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, .NET {Environment.Version}");
        Console.WriteLine();
        Console.WriteLine("A saves a record through the SDK (PushChangeAsync) → it is in B's local store; both workers running, no explicit push or pull.");
        Console.WriteLine();
        Console.WriteLine("| path | edits | p50 ms | p95 ms | p99 ms |");
        Console.WriteLine("|---|---|---|---|---|");
        foreach (var row in rows)
        {
            Console.WriteLine(row);
        }
        Console.WriteLine();
        Console.WriteLine(string.Format(inv, "{0:N0} idle event streams (one user each): +{1:F0} MB server RSS, {2:F2} % of one core over {3:F0} s idle.",
            idle.Streams, idle.ExtraMb, idle.CpuPercent, idle.IdleSeconds));
    }

    private static string Row(string path, List<double> ms) =>
        string.Format(CultureInfo.InvariantCulture, "| {0} | {1} | {2:F0} | {3:F0} | {4:F0} |", path, ms.Count, Percentile(ms, 50), Percentile(ms, 95), Percentile(ms, 99));

    private static async Task<List<double>> MeasureAsync(Uri addressA, Uri addressB, TestServer accounts, int edits, bool realtime)
    {
        var home = TestServer.NewDataDirectory();
        var owner = await new AuthClient(accounts).RegisterVerifiedAsync();
        var options = new SyncClientOptions { Realtime = realtime };
        await using var a = await SyncProfile.OpenAsync(home, "a", addressA, options);
        await a.Auth.SignInAsync(addressA, owner.User.Email, AuthClient.Password, "a", "a");
        await using var b = await SyncProfile.OpenAsync(home, "b", addressB, options);
        await b.Auth.SignInAsync(addressB, owner.User.Email, AuthClient.Password, "b", "b");
        a.Manager.Start();
        b.Manager.Start();
        if (realtime)
        {
            await UntilAsync(() => Task.FromResult(b.Manager.Status.Realtime == RealtimeMode.Live), TimeSpan.FromSeconds(30));
        }
        // B's app learns of arrivals the way a desktop app does: from ChangesPulled (as PouchDB's side reads its changes feed).
        var pulledSignal = new SemaphoreSlim(0);
        b.Manager.ChangesPulled += (_, _) => pulledSignal.Release();
        var times = new List<double>();
        // The first 20 edits warm the JIT and the connections and are not counted (PouchDB's run does the same).
        const int warmUp = 20;
        for (var i = -(realtime ? warmUp : 0); i < edits; i++)
        {
            var title = $"edit {i}";
            var watch = Stopwatch.StartNew();
            await a.Manager.PushChangeAsync("saved_queries", "q", new JsonObject { ["title"] = title, ["sql"] = "select 1" });
            while ((await b.Store.GetAsync("saved_queries", "q"))?.Data["title"]?.ToString() != title)
            {
                if (!await pulledSignal.WaitAsync(TimeSpan.FromSeconds(realtime ? 30 : 90)))
                {
                    throw new TimeoutException($"edit {i} did not arrive");
                }
            }
            if (i >= 0)
            {
                times.Add(watch.Elapsed.TotalMilliseconds);
            }
        }
        Console.Error.WriteLine($"{addressA} → {addressB} realtime={realtime}: p50 {Percentile(times, 50):F0} ms, p95 {Percentile(times, 95):F0} ms");
        return times;
    }

    /// <summary>Checks every millisecond: the figure's resolution, not a sleep standing in for work.</summary>
    private static async Task UntilAsync(Func<Task<bool>> done, TimeSpan limit)
    {
        var watch = Stopwatch.StartNew();
        while (!await done())
        {
            if (watch.Elapsed > limit)
            {
                throw new TimeoutException($"not done within {limit}");
            }
            await Task.Delay(1);
        }
    }

    private sealed record Idle(int Streams, double ExtraMb, double CpuPercent, double IdleSeconds);

    /// <summary>
    /// Opens <paramref name="count"/> event streams (one user each, as many devices of many users would) to a server
    /// running in a process of its own, lets them sit idle, and reads that process's RSS and CPU time from /proc: the
    /// server's cost alone, not the clients'. The users are registered first through an in-process server on the same
    /// data folder, which is stopped before the measured one starts.
    /// </summary>
    private static async Task<Idle> IdleStreamsAsync(int count)
    {
        var data = TestServer.NewDataDirectory();
        var tokens = new List<string>();
        await using (var registrar = await TestServer.StartAsync(o =>
        {
            o.DataDirectory = data;
            o.Settings["Logging:LogLevel:Default"] = "Error";
        }))
        {
            var api = new AuthClient(registrar);
            for (var i = 0; i < count; i++)
            {
                tokens.Add((await api.RegisterVerifiedAsync()).AccessToken);
            }
        }

        await using var server = await ServerProcess.StartAsync(data, o =>
        {
            o.Settings["Logging:LogLevel:Default"] = "Error";
            o.Settings["Sync:Events:HeartbeatInterval"] = "00:00:15";
        });
        try
        {
            var before = RssMb(server.Id);
            var streams = new List<EventStream>();
            foreach (var token in tokens)
            {
                var stream = await EventStream.OpenAsync(server.BaseAddress, token);
                await stream.NextEventAsync();
                streams.Add(stream);
            }
            // Settle (connection set-up, JIT, the first GCs), then measure the idle stretch alone.
            await Task.Delay(TimeSpan.FromSeconds(5));
            var cpuBefore = CpuSeconds(server.Id);
            var idle = Stopwatch.StartNew();
            await Task.Delay(TimeSpan.FromSeconds(30));
            var cpu = (CpuSeconds(server.Id) - cpuBefore) / idle.Elapsed.TotalSeconds * 100;
            var extra = RssMb(server.Id) - before;
            foreach (var stream in streams)
            {
                await stream.DisposeAsync();
            }
            return new Idle(count, extra, cpu, idle.Elapsed.TotalSeconds);
        }
        finally
        {
            await server.KillAsync();
            Directory.Delete(data, recursive: true);
        }
    }

    private static double RssMb(int pid) =>
        File.ReadAllLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal))
            .Split(' ', StringSplitOptions.RemoveEmptyEntries)[1] is var kb ? double.Parse(kb, CultureInfo.InvariantCulture) / 1024 : 0;

    /// <summary>utime + stime of the process, in seconds (/proc/PID/stat fields 14 and 15, in clock ticks of 1/100 s).</summary>
    private static double CpuSeconds(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
    }
}
