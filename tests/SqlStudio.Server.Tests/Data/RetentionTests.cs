using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using SqlStudio.Server.Data;
using SqlStudio.Testing;
using static SqlStudio.Testing.SyncClient;

namespace SqlStudio.Server.Tests.Data;

/// <summary>Event tables are purged past their age (issue #14): sync activity after 90 days, audit lines after a year.</summary>
public sealed class RetentionTests
{
    private static async Task<long> CountAsync(TestServer server, string sql, object args)
    {
        long count = 0;
        await server.Services.GetRequiredService<Db>().ReadBatchAsync(new SqlBatch().Query<long>(sql, args, rows => count = rows[0]));
        return count;
    }

    [Fact]
    public async Task PastTheirAge_ActivityGoes_AuditStaysAYear_NewRowsStay()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var server = await TestServer.StartAsync(o => o.Time = time);
        var user = await NewUserAsync(server);
        var userId = user.Tokens.User.UserId;
        await user.PushAsync("laptop", Upsert("saved_queries", "q1", 0, "2026-11-20T10:00:00Z", new JsonObject { ["title"] = "old", ["sql"] = "select 1" }));
        var job = server.Services.GetRequiredService<RetentionJob>();
        Assert.Equal(0, await job.PurgeAsync());
        Assert.True(await CountAsync(server, "SELECT count(*) FROM sync_activity WHERE user_id = @userId", new { userId }) > 0);

        time.Advance(TimeSpan.FromDays(91));
        var recent = await NewUserAsync(server);
        await recent.PushAsync("phone", Upsert("saved_queries", "q1", 0, "2026-11-20T10:00:00Z", new JsonObject { ["title"] = "new", ["sql"] = "select 1" }));
        // (Moving the clock also ticks the job's own timer, which may purge first: what matters is what is left.)
        await job.PurgeAsync();

        // The old activity went; today's stayed.
        Assert.Equal(0, await CountAsync(server, "SELECT count(*) FROM sync_activity WHERE user_id = @userId", new { userId }));
        Assert.Equal(1, await CountAsync(server, "SELECT count(*) FROM sync_activity WHERE user_id = @userId", new { userId = recent.Tokens.User.UserId }));
        // Security events are kept a year.
        Assert.True(await CountAsync(server, "SELECT count(*) FROM audit_log WHERE user_id = @userId", new { userId }) > 0);
        time.Advance(TimeSpan.FromDays(300));
        await job.PurgeAsync();
        Assert.Equal(0, await CountAsync(server, "SELECT count(*) FROM audit_log WHERE user_id = @userId AND event = 'registered'", new { userId }));
    }
}
