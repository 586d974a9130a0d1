using Microsoft.Extensions.DependencyInjection;
using System.Text.Json.Nodes;
using SqlStudio.Contracts;
using SqlStudio.Testing;
using Xunit;
using static SqlStudio.Testing.SyncClient;

namespace SqlStudio.Server.Tests.Sync;

/// <summary>Pushes at once: many users on one instance, and one user through two instances of one database.</summary>
public sealed class ConcurrentPushTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static JsonObject Edit(string id, long baseVersion = 0, string? title = null) =>
        Upsert("saved_queries", id, baseVersion, "2026-11-20T10:00:00Z", new JsonObject { ["title"] = title ?? id, ["sql"] = "select 1" });

    [Fact]
    public async Task ManyUsersAtOnce_EveryPushApplied()
    {
        await using var server = await TestServer.StartAsync();
        var users = new List<SyncClient>();
        for (var i = 0; i < 8; i++)
        {
            var user = await NewUserAsync(server);
            await user.Http.GetAsync("/api/sync/head");
            users.Add(user);
        }

        await Task.WhenAll(users.Select(async (user, u) =>
        {
            for (var i = 0; i < 60; i++)
            {
                var watch = System.Diagnostics.Stopwatch.StartNew();
                var pushed = await user.PushAsync("d", Edit($"u{u}-{i}"));
                if (watch.ElapsedMilliseconds > 500)
                {
                    output.WriteLine($"slow push u{u} #{i}: {watch.ElapsedMilliseconds} ms at {DateTime.UtcNow:HH:mm:ss.fff}");
                }
                Assert.Equal(MutationStatus.Applied, pushed.Results.Single().Status);
            }
        }));

        foreach (var user in users)
        {
            var (records, cursor) = await user.PullAllAsync();
            Assert.Equal(60, records.Count);
            Assert.Equal(60, cursor);
        }
    }

    [Fact]
    public async Task SixDevicesOfOneAccountAtOnce_EveryPushApplied_NoneBusy()
    {
        await using var server = await TestServer.StartAsync();
        var user = await NewUserAsync(server);
        var statuses = new System.Collections.Concurrent.ConcurrentBag<int>();

        await Task.WhenAll(Enumerable.Range(0, 6).Select(async device =>
        {
            for (var i = 0; i < 25; i++)
            {
                var response = await user.PushRawAsync($"device-{device}", [Edit($"d{device}-{i}")]);
                statuses.Add((int)response.StatusCode);
            }
        }));

        Assert.All(statuses, status => Assert.Equal(200, status));
        var (records, cursor) = await user.PullAllAsync();
        Assert.Equal(150, records.Count);
        Assert.Equal(150, cursor);
    }

    [Fact]
    public async Task WaitBudgetSpent_503SyncBusy_WithRetryAfter_ThenTheTurnComes()
    {
        await using var server = await TestServer.StartAsync(o => o.Settings["Sync:PushWaitBudget"] = "00:00:00.200");
        var user = await NewUserAsync(server);
        var gate = server.Services.GetRequiredService<SqlStudio.Server.Sync.AccountGate>();

        HttpResponseMessage busy;
        using (await gate.WaitAsync(user.Tokens.User.UserId, TimeSpan.FromSeconds(5), CancellationToken.None))
        {
            // Another push of this account holds the turn for longer than the budget.
            busy = await user.PushRawAsync("laptop", [Edit("q1")]);
        }
        var after = await user.PushRawAsync("laptop", [Edit("q1")]);

        Assert.Equal(503, (int)busy.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(1), busy.Headers.RetryAfter?.Delta);
        Assert.Contains("\"code\":\"sync_busy\"", await busy.Content.ReadAsStringAsync());
        Assert.Equal(200, (int)after.StatusCode);
    }

    [Fact]
    public async Task OneUserThroughTwoInstancesAtOnce_EachMutationOnce_CursorsUnique_NoFieldLost()
    {
        await using var first = await TestServer.StartAsync();
        await using var second = await TestServer.StartAsync(o => o.SameDatabaseAs(first));
        var tokens = await new AuthClient(first).RegisterVerifiedAsync();
        var viaFirst = For(first, tokens);
        var viaSecond = For(second, tokens);
        await viaFirst.PushAsync("setup", Upsert("saved_queries", "shared", 0, "2026-11-20T10:00:00Z",
            new JsonObject { ["title"] = "t0", ["description"] = "d0", ["sql"] = "select 1" }));

        // Device A edits the title through one instance while device B edits the description through the other, both
        // from version 1, and each also creates records of its own: every push races the other instance's.
        const int rounds = 25;
        var seqs = new System.Collections.Concurrent.ConcurrentBag<long>();
        async Task RunAsync(SyncClient client, string device, string field)
        {
            long lastCursor = 0;
            long baseVersion = 1;
            for (var i = 0; i < rounds; i++)
            {
                // Each device edits from the version it last saw (its own previous result), as the SDK does.
                var pushed = await client.PushAsync(device,
                    Upsert("saved_queries", "shared", baseVersion, $"2026-11-20T11:00:{i:00}Z", new JsonObject { [field] = $"{device}-{i}" }),
                    Edit($"{device}-own-{i}"));
                baseVersion = pushed.Results[0].Version;
                Assert.All(pushed.Results, r => Assert.Contains(r.Status, new[] { MutationStatus.Applied, MutationStatus.Merged }));
                Assert.True(pushed.Cursor > lastCursor);
                lastCursor = pushed.Cursor;
                foreach (var r in pushed.Results)
                {
                    seqs.Add(r.ServerSeq);
                }
            }
        }
        await Task.WhenAll(RunAsync(viaFirst, "a", "title"), RunAsync(viaSecond, "b", "description"));

        Assert.Equal(seqs.Count, seqs.Distinct().Count());
        var (records, cursor) = await viaSecond.PullAllAsync();
        Assert.Equal(1 + 2 * rounds, records.Count);
        Assert.Equal($"a-{rounds - 1}", records[("saved_queries", "shared")]["title"]!.GetValue<string>());
        Assert.Equal($"b-{rounds - 1}", records[("saved_queries", "shared")]["description"]!.GetValue<string>());
        Assert.Equal(1 + 4 * rounds, cursor);
        var integrity = await viaFirst.Http.GetStringAsync("/api/sync/integrity");
        Assert.Contains($"\"count\":{1 + 2 * rounds}", integrity);
    }

    [Fact]
    public async Task LibSqlServerRestartedMidPush_TheRetryLandsExactlyOnce()
    {
        if (!TestServer.UseLibSql)
        {
            // The embedded file has no server to restart; this runs on the libsql-server pass.
            return;
        }
        await using var server = await TestServer.StartAsync();
        var user = await NewUserAsync(server);
        var mutations = Enumerable.Range(0, 200).Select(i => Edit($"crash-{i}")).ToArray();

        // The push goes out, and the database server dies under it (SIGKILL) and comes back.
        var inFlight = user.PushRawAsync("d", mutations);
        await server.Sqld!.RestartAsync();
        var firstTry = await inFlight;
        Assert.True(firstTry.IsSuccessStatusCode || (int)firstTry.StatusCode == 503, $"first try answered {(int)firstTry.StatusCode}");

        // The client sends the same mutations again, as the SDK does after a failure.
        var retry = await user.PushAsync("d", mutations);
        Assert.All(retry.Results, r => Assert.Contains(r.Status, new[] { MutationStatus.Applied, MutationStatus.Duplicate }));
        var (records, cursor) = await user.PullAllAsync();
        Assert.Equal(200, records.Count);
        Assert.Equal(200, cursor);
    }
}
