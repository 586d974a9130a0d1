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
}
