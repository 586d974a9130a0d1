using System.Text.Json.Nodes;
using Dapper;
using Microsoft.Data.Sqlite;
using SqlStudio.Contracts;
using SqlStudio.Testing;

namespace SqlStudio.Server.Tests.Sync;

/// <summary>
/// Three devices × 2,000 mutations — creates, overlapping and disjoint field edits, deletes, replays, pushes and
/// pulls interleaved at random, devices offline for long stretches — then every device pulls. Seeded, so a
/// failure reproduces (set SYNC_FUZZ_SEED to rerun a seed).
/// </summary>
public sealed class ConvergenceTests
{
    private const int MutationsPerDevice = 2000;

    private static readonly Dictionary<string, Func<Random, JsonNode?>[]> Fields = new()
    {
        ["query_tabs"] = [r => $"Tab {r.Next(100)}", r => $"select {r.Next(1000)}", r => r.Next(50), r => r.Next(2) == 0],
        ["saved_queries"] = [r => $"Query {r.Next(100)}", r => $"select * from t{r.Next(100)}", r => $"tag{r.Next(5)}", r => r.Next(2) == 0],
        ["connections"] = [r => $"db-{r.Next(100)}", r => r.Next(2) == 0 ? "postgres" : "mysql", r => $"host{r.Next(10)}.local", r => r.Next(1, 65535)],
    };

    private static readonly Dictionary<string, string[]> FieldNames = new()
    {
        ["query_tabs"] = ["title", "content", "position", "is_pinned"],
        ["saved_queries"] = ["title", "sql", "tags", "is_favorite"],
        ["connections"] = ["name", "driver", "host", "port"],
    };

    [Fact]
    public async Task ThreeDevices_RandomInterleaving_ConvergeWithOneConflictPerOverlap()
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable("SYNC_FUZZ_SEED"), out var s) ? s : 20261126;
        var random = new Random(seed);
        await using var server = await TestServer.StartAsync();
        var user = await SyncClient.NewUserAsync(server);
        var devices = new[] { "device-a", "device-b", "device-c" }.Select(id => new Device(id, SyncClient.For(server, user.Tokens))).ToArray();
        var clock = new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);
        var oracle = new Dictionary<(string Type, string Id, string Field), (string Time, string Device, string Value)>();
        var writtenVersions = new HashSet<(string, string, long)>();
        var seenSeqs = new HashSet<long>();
        var results = new List<MutationResult>();
        var pushed = new HashSet<(string Device, string MutationId)>();
        var nextId = 0;

        while (devices.Any(d => d.Generated < MutationsPerDevice))
        {
            var device = devices[random.Next(devices.Length)];
            var roll = random.NextDouble();
            if (roll < 0.55 && device.Generated < MutationsPerDevice)
            {
                for (var i = random.Next(1, 6); i > 0 && device.Generated < MutationsPerDevice; i--)
                {
                    clock = clock.AddMilliseconds(random.Next(1, 50));
                    device.Generate(random, SqlStudio.Server.Data.StoredTime.Format(clock), ref nextId);
                }
            }
            else if (roll < 0.85)
            {
                await PushAsync(device);
            }
            else if (roll < 0.95)
            {
                await device.PullAsync();
            }
            else if (device.SentBatches.Count > 0)
            {
                // A batch sent again (a retry after a lost response): every mutation comes back as a duplicate.
                var batch = device.SentBatches[random.Next(device.SentBatches.Count)];
                var replay = await device.Client.PushAsync(device.Id, batch.ToArray());
                Assert.All(replay.Results, r => Assert.Equal(MutationStatus.Duplicate, r.Status));
            }
        }
        foreach (var device in devices)
        {
            await PushAsync(device);
        }
        foreach (var device in devices)
        {
            await device.PullAsync();
        }

        // 1. Every device's view equals the server's.
        var (serverView, _) = await user.PullAllAsync();
        foreach (var device in devices)
        {
            Assert.Equal(serverView.Count, device.Local.Count);
            foreach (var (key, record) in serverView)
            {
                Assert.True(device.Local.TryGetValue(key, out var local), $"seed {seed}: {device.Id} lacks {key}");
                Assert.Equal(record.ToJsonString(), local!.ToJsonString());
            }
        }

        // 2. No mutation applied twice: each write made exactly one new version of its record.
        Assert.Equal(devices.Sum(d => d.Generated), pushed.Count);
        Assert.DoesNotContain(results, r => r.Status == MutationStatus.Rejected);
        foreach (var ((type, id), record) in serverView)
        {
            var versions = writtenVersions.Where(v => v.Item1 == type && v.Item2 == id).Select(v => v.Item3).Order().ToList();
            Assert.Equal(Enumerable.Range(1, (int)record["version"]!.GetValue<long>()).Select(v => (long)v), versions);
        }

        // 3. One conflict row per overlapping edit, won by the later (updated_at, device_id).
        var conflictResults = results.Where(r => r.Status is MutationStatus.ConflictWon or MutationStatus.ConflictLost).ToList();
        await using var db = new SqliteConnection($"Data Source={server.DatabasePath};Pooling=False");
        var rows = (await db.QueryAsync<(string ConflictId, string LocalUpdatedAt, string LocalDeviceId, string RemoteUpdatedAt, string RemoteDeviceId, string Winner)>(
            "SELECT conflict_id, local_updated_at, local_device_id, remote_updated_at, remote_device_id, winner FROM sync_conflicts")).ToList();
        Assert.True(conflictResults.Count > 20, $"seed {seed}: only {conflictResults.Count} conflicts; the test is not exercising overlap");
        Assert.Equal(conflictResults.Count, rows.Count);
        Assert.Equal(conflictResults.Select(r => r.ConflictId).Order(), rows.Select(r => r.ConflictId).Order());
        foreach (var row in rows)
        {
            var localLater = string.CompareOrdinal(row.LocalUpdatedAt, row.RemoteUpdatedAt) > 0 ||
                             (row.LocalUpdatedAt == row.RemoteUpdatedAt && string.CompareOrdinal(row.LocalDeviceId, row.RemoteDeviceId) > 0);
            Assert.Equal(localLater ? "local" : "remote", row.Winner);
            var result = conflictResults.Single(r => r.ConflictId == row.ConflictId);
            Assert.Equal(localLater ? MutationStatus.ConflictWon : MutationStatus.ConflictLost, result.Status);
        }

        // 4. Every field holds the value of its latest write (by device clock, then device id).
        foreach (var ((type, id, field), expected) in oracle)
        {
            var record = serverView[(type, id)];
            if (!record["deleted"]!.GetValue<bool>())
            {
                Assert.True(expected.Value == record[field]?.ToJsonString(),
                    $"seed {seed}: {type}/{id}.{field} is {record[field]?.ToJsonString()}, latest write was {expected.Value} at {expected.Time} by {expected.Device}");
            }
        }

        async Task PushAsync(Device device)
        {
            var batch = device.TakeOutbox();
            if (batch.Count == 0)
            {
                return;
            }
            var response = await device.Client.PushAsync(device.Id, batch.ToArray());
            device.SentBatches.Add(batch);
            for (var i = 0; i < batch.Count; i++)
            {
                var (mutation, result) = (batch[i], response.Results[i]);
                Assert.True(pushed.Add((device.Id, mutation["mutation_id"]!.GetValue<string>())), $"seed {seed}: mutation pushed twice as new");
                results.Add(result);
                var key = (mutation["entity_type"]!.GetValue<string>(), mutation["entity_id"]!.GetValue<string>());
                if (result.Status is MutationStatus.Applied or MutationStatus.Merged or MutationStatus.ConflictWon or MutationStatus.ConflictLost &&
                    result.Record is not null)
                {
                    // Every write takes a new server_seq; an answer that carries one already seen wrote nothing.
                    if (seenSeqs.Add(result.ServerSeq))
                    {
                        Assert.True(writtenVersions.Add((key.Item1, key.Item2, result.Version)), $"seed {seed}: version {result.Version} of {key} written twice");
                    }
                    if (mutation["data"] is JsonObject data)
                    {
                        foreach (var (field, value) in data)
                        {
                            var stamp = (mutation["updated_at"]!.GetValue<string>(), device.Id, value?.ToJsonString() ?? "null");
                            var fieldKey = (key.Item1, key.Item2, field);
                            if (!oracle.TryGetValue(fieldKey, out var current) ||
                                string.CompareOrdinal(stamp.Item1, current.Time) > 0 ||
                                (stamp.Item1 == current.Time && string.CompareOrdinal(stamp.Item2, current.Device) > 0))
                            {
                                oracle[fieldKey] = stamp;
                            }
                        }
                    }
                }
                if (result.Record is not null)
                {
                    device.Local[key] = result.Record;
                }
            }
        }
    }

    private sealed class Device(string id, SyncClient client)
    {
        private readonly List<JsonObject> _outbox = [];

        public string Id { get; } = id;
        public SyncClient Client { get; } = client;
        public Dictionary<(string Type, string Id), JsonObject> Local { get; } = new();
        public List<List<JsonObject>> SentBatches { get; } = [];
        public long Cursor { get; private set; }
        public int Generated { get; private set; }

        public List<JsonObject> TakeOutbox()
        {
            var batch = _outbox.ToList();
            _outbox.Clear();
            return batch;
        }

        public async Task PullAsync()
        {
            while (true)
            {
                var page = await Client.ChangesAsync(Cursor, 1000);
                foreach (var (type, records) in page.Changes)
                {
                    foreach (var record in records)
                    {
                        Local[(type, record["id"]!.GetValue<string>())] = record;
                    }
                }
                Cursor = page.NextCursor;
                if (!page.HasMore)
                {
                    return;
                }
            }
        }

        public void Generate(Random random, string now, ref int nextId)
        {
            var live = Local.Where(r => r.Key.Type != "query_history" && !r.Value["deleted"]!.GetValue<bool>()).Select(r => r.Key).ToList();
            var roll = random.NextDouble();
            if (roll < 0.15 || live.Count < 5)
            {
                var type = random.Next(4) switch { 0 => "query_tabs", 1 => "saved_queries", 2 => "connections", _ => "query_history" };
                var id = $"{Id}-{nextId++}";
                var data = type == "query_history"
                    ? new JsonObject { ["query_text"] = $"select {random.Next()}", ["executed_at"] = now }
                    : new JsonObject(FieldNames[type].Select((f, i) => KeyValuePair.Create(f, Fields[type][i](random))));
                Enqueue(SyncClient.Upsert(type, id, 0, now, data), (type, id));
                return;
            }
            var target = live[random.Next(live.Count)];
            var baseVersion = Local[target]["version"]!.GetValue<long>();
            if (roll < 0.22)
            {
                Enqueue(SyncClient.Delete(target.Type, target.Id, baseVersion, now), target);
                return;
            }
            // One field per edit, picked from a small set so that devices often touch the same field.
            var index = random.Next(FieldNames[target.Type].Length);
            var edit = new JsonObject { [FieldNames[target.Type][index]] = Fields[target.Type][index](random) };
            Enqueue(SyncClient.Upsert(target.Type, target.Id, baseVersion, now, edit), target);
        }

        /// <summary>Mutations this device sent (edits folded into a pending one are not counted twice).</summary>
        /// <remarks>Like a real outbox: a second edit of a record still waiting to go out folds into the first.</remarks>
        private void Enqueue(JsonObject mutation, (string Type, string Id) key)
        {
            var pending = _outbox.FindIndex(m => m["entity_type"]!.GetValue<string>() == key.Type && m["entity_id"]!.GetValue<string>() == key.Id);
            if (pending >= 0)
            {
                var earlier = _outbox[pending];
                if (earlier["op"]!.GetValue<string>() == "delete")
                {
                    return;
                }
                if (mutation["op"]!.GetValue<string>() == "delete")
                {
                    mutation["base_version"] = earlier["base_version"]!.GetValue<long>();
                    _outbox[pending] = mutation;
                    return;
                }
                foreach (var (field, value) in mutation["data"]!.AsObject().ToList())
                {
                    earlier["data"]![field] = value?.DeepClone();
                }
                earlier["updated_at"] = mutation["updated_at"]!.GetValue<string>();
                return;
            }
            _outbox.Add(mutation);
            Generated++;
        }
    }
}
