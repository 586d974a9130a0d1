using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using SqlStudio.Server.Data;
using SqlStudio.Testing;

namespace SqlStudio.Server.Tests.Data;

/// <summary>Background jobs run on one instance at a time: whoever holds the job's lease in the database (issue #13 §3).</summary>
public sealed class JobLeaseTests
{
    [Fact]
    public async Task TwoInstances_OneHoldsTheJob_TheOtherTakesItWhenTheLeaseRunsOut()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var first = await TestServer.StartAsync(o => o.Time = time);
        await using var second = await TestServer.StartAsync(o =>
        {
            o.Time = time;
            o.SameDatabaseAs(first);
        });
        var a = first.Services.GetRequiredService<JobLeases>();
        var b = second.Services.GetRequiredService<JobLeases>();

        // Both try at once: exactly one gets it.
        var attempts = await Task.WhenAll(a.TryAcquireAsync("job", TimeSpan.FromMinutes(10)), b.TryAcquireAsync("job", TimeSpan.FromMinutes(10)));
        Assert.Single(attempts, got => got);
        var holder = attempts[0] ? a : b;
        var other = attempts[0] ? b : a;

        Assert.False(await other.TryAcquireAsync("job", TimeSpan.FromMinutes(10)));
        Assert.True(await other.TryAcquireAsync("another-job", TimeSpan.FromMinutes(10)));
        // The holder runs it again next turn; the other only once the lease has run out (as after a crash).
        time.Advance(TimeSpan.FromMinutes(9));
        Assert.False(await other.TryAcquireAsync("job", TimeSpan.FromMinutes(10)));
        time.Advance(TimeSpan.FromMinutes(1));
        Assert.True(await other.TryAcquireAsync("job", TimeSpan.FromMinutes(10)));
        Assert.False(await holder.TryAcquireAsync("job", TimeSpan.FromMinutes(10)));
    }
}
