using System.Diagnostics;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using SqlStudio.Testing;
using Xunit;

namespace SqlStudio.Server.Tests.Data;

/// <summary>The embedded file's WAL does not stay as large as the busiest moment made it (issue #13).</summary>
public sealed class WalCheckpointTests
{
    [Fact]
    public async Task AfterTheCheckpointInterval_TheWalIsTruncated()
    {
        if (TestServer.UseLibSql)
        {
            // The WAL is the embedded file's; sqld manages its own.
            return;
        }
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var server = await TestServer.StartAsync(o =>
        {
            o.Time = time;
            o.Settings["Database:CheckpointInterval"] = "00:05:00";
        });
        var user = await SyncClient.NewUserAsync(server);
        foreach (var chunk in Enumerable.Range(0, 2000).Chunk(500))
        {
            await user.PushAsync("bulk", chunk.Select(i => SyncClient.Upsert("saved_queries", $"q{i}", 0, "2026-11-20T10:00:00Z",
                new JsonObject { ["title"] = $"query {i}", ["sql"] = new string('x', 2000) })).ToArray());
        }
        var wal = server.DatabasePath + "-wal";
        var before = new FileInfo(wal).Length;

        time.Advance(TimeSpan.FromMinutes(5));

        var watch = Stopwatch.StartNew();
        while (new FileInfo(wal).Length > 0 && watch.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(20);
        }
        Assert.True(before > 1024 * 1024, $"the WAL held {before} bytes after the pushes");
        Assert.Equal(0, new FileInfo(wal).Length);
        Assert.Equal(2000, (await user.PullAllAsync()).Records.Count);
    }
}
