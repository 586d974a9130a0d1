using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using SqlStudio.Sync;
using SqlStudio.Testing;
using static SqlStudio.Bench.Sync.Stats;

namespace SqlStudio.Bench.Sync;

/// <summary>
/// bench/sync-e2e: the SDK's initial sync of 10,000 records into a fresh store, one change's trip from device A to
/// device B, and 10,000 offline changes drained — beside the same three with PouchDB (memory and LevelDB adapters)
/// against pouchdb-server, in one run.
/// </summary>
public static class EndToEnd
{
    public static async Task RunAsync(bool quick)
    {
        var count = quick ? 2000 : 10_000;
        var runs = quick ? 2 : 3;
        var rounds = quick ? 30 : 100;
        var records = Dataset.Create(count);
        var home = TestServer.NewDataDirectory();
        await using var server = await TestServer.StartAsync(o => o.Settings["Logging:LogLevel:Default"] = "Error");
        var api = new AuthClient(server);
        var owner = await api.RegisterVerifiedAsync();
        var seeder = SyncClient.For(server, owner);
        foreach (var chunk in records.Chunk(1000))
        {
            await seeder.PushAsync("seed", chunk.Select(r => SyncClient.Upsert(r.Type, r.Id, 0, "2026-11-20T10:00:00Z", r.Data)).ToArray());
        }

        async Task<SyncProfile> DeviceAsync(string name, TokenOwner who)
        {
            var profile = await SyncProfile.OpenAsync(home, name, server.BaseAddress);
            await profile.Auth.SignInAsync(server.BaseAddress, who.Email, AuthClient.Password, name, name);
            return profile;
        }
        var ownerAccount = new TokenOwner(owner.User.Email);

        // 1. Initial sync into a fresh store.
        var initial = new List<double>();
        for (var run = 0; run <= runs; run++)
        {
            await using var fresh = await DeviceAsync($"initial-{run}", ownerAccount);
            var watch = Stopwatch.StartNew();
            var result = await fresh.Manager.SyncNowAsync();
            initial.Add(watch.Elapsed.TotalMilliseconds);
            if (result.Pulled != count)
            {
                throw new InvalidOperationException($"initial sync pulled {result.Pulled} of {count}");
            }
        }
        initial.RemoveAt(0);
        Console.Error.WriteLine($"initial sync: {Median(initial):F0} ms");

        // 2. One change from A to B: A saves and pushes, B pulls.
        var propagate = new List<double>();
        await using (var a = await DeviceAsync("device-a", ownerAccount))
        await using (var b = await DeviceAsync("device-b", ownerAccount))
        {
            await a.Manager.SyncNowAsync();
            await b.Manager.SyncNowAsync();
            for (var i = 0; i < rounds; i++)
            {
                var watch = Stopwatch.StartNew();
                await a.Manager.PushChangeAsync("saved_queries", $"prop-{i}", new JsonObject { ["title"] = $"change {i}", ["sql"] = "select 1" });
                await a.Manager.PushDueAsync();
                await b.Manager.PullChangesAsync();
                propagate.Add(watch.Elapsed.TotalMilliseconds);
                if (await b.Store.GetAsync("saved_queries", $"prop-{i}") is null)
                {
                    throw new InvalidOperationException("the change did not arrive on B");
                }
            }
        }

        // 3. Offline changes drained when the network is back (a fresh account, so nothing else is pulled).
        var offlineUser = await api.RegisterVerifiedAsync();
        double drain;
        await using (var c = await DeviceAsync("offline", new TokenOwner(offlineUser.User.Email)))
        {
            await c.Manager.PushChangesAsync(Enumerable.Range(0, count).Select(i =>
                ("saved_queries", $"offline-{i}", new JsonObject { ["title"] = $"offline {i}", ["sql"] = $"select {i} from generate_series(1, 10)" })));
            var watch = Stopwatch.StartNew();
            while (await c.Store.PendingCountAsync() > 0)
            {
                await c.Manager.PushDueAsync();
            }
            drain = watch.Elapsed.TotalMilliseconds;
        }
        Console.Error.WriteLine($"drain: {drain:F0} ms");

        // Baseline: pouchdb-server with the same records; PouchDB clients on the memory and LevelDB adapters.
        await using var pouch = await PouchBaseline.StartAsync();
        await pouch.LoadAsync("bench", records, 1000);
        var baseline = new Dictionary<string, (double Initial, List<double> Propagate, double Drain)>();
        foreach (var adapter in new[] { "memory", "leveldb" })
        {
            var pouchInitial = PouchBaseline.Client("initial", new Uri(pouch.Url, "bench"), adapter, runs + 1)["runs_ms"]!.AsArray()
                .Skip(1).Select(n => n!.GetValue<double>()).ToList();
            var pouchPropagate = PouchBaseline.Client("propagate", pouch.Url, adapter, rounds)["rounds_ms"]!.AsArray().Select(n => n!.GetValue<double>()).ToList();
            var pouchDrain = PouchBaseline.Client("drain", pouch.Url, adapter, count)["ms"]!.GetValue<double>();
            baseline[adapter] = (Median(pouchInitial), pouchPropagate, pouchDrain);
            Console.Error.WriteLine($"pouch {adapter}: initial {Median(pouchInitial):F0} ms, drain {pouchDrain:F0} ms");
        }

        var inv = CultureInfo.InvariantCulture;
        Console.WriteLine($"# bench/sync-e2e — {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, .NET {Environment.Version}, {count:N0} records");
        Console.WriteLine();
        Console.WriteLine("| measure | SqlStudio.Sync (SQLite store) | PouchDB memory | PouchDB LevelDB | ratio (vs memory / LevelDB) |");
        Console.WriteLine("|---|---|---|---|---|");
        Console.WriteLine(string.Format(inv, "| initial sync of {0:N0} records into a fresh store (median of {1}) | {2:F0} ms | {3:F0} ms | {4:F0} ms | **{5:F1}× / {6:F1}×** |",
            count, runs, Median(initial), baseline["memory"].Initial, baseline["leveldb"].Initial,
            baseline["memory"].Initial / Median(initial), baseline["leveldb"].Initial / Median(initial)));
        Console.WriteLine(string.Format(inv, "| one change A → B (push + pull), p50 / p95 over {0} | {1:F1} / {2:F1} ms | {3:F1} / {4:F1} ms | {5:F1} / {6:F1} ms | {7:F1}× / {8:F1}× (p95) |",
            rounds, Percentile(propagate, 50), Percentile(propagate, 95),
            Percentile(baseline["memory"].Propagate, 50), Percentile(baseline["memory"].Propagate, 95),
            Percentile(baseline["leveldb"].Propagate, 50), Percentile(baseline["leveldb"].Propagate, 95),
            Percentile(baseline["memory"].Propagate, 95) / Percentile(propagate, 95), Percentile(baseline["leveldb"].Propagate, 95) / Percentile(propagate, 95)));
        Console.WriteLine(string.Format(inv, "| {0:N0} offline changes drained | {1:F0} ms | {2:F0} ms | {3:F0} ms | {4:F1}× / {5:F1}× |",
            count, drain, baseline["memory"].Drain, baseline["leveldb"].Drain, baseline["memory"].Drain / drain, baseline["leveldb"].Drain / drain));
    }

    private sealed record TokenOwner(string Email);
}
