using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using SqlStudio.Server.Sync;
using Xunit;

namespace SqlStudio.Server.Tests.Sync;

/// <summary>
/// A burst of commits waiting for one stream is one event: the newest cursor, and the committing device only when every
/// folded commit came from it (a device skips the echo of its own pushes, so a foreign commit must never hide under it).
/// </summary>
public sealed class EventFoldingTests
{
    private static SyncEventHub Hub() => new(new SqlStudio.Server.Bus.InstanceBus(new ConfigurationBuilder().Build(), NullLogger<SqlStudio.Server.Bus.InstanceBus>.Instance), TimeProvider.System);

    private static SyncEvent Next(SyncSubscription subscription)
    {
        Assert.True(subscription.Events.Reader.TryRead(out var e));
        Assert.False(subscription.Events.Reader.TryRead(out _));
        return e;
    }

    [Fact]
    public async Task SameDevice_FoldsToTheNewestCursor_KeepingTheDevice()
    {
        using var hub = Hub();
        using var subscription = hub.Subscribe("u1", null, stream: false);
        await hub.PublishAsync("u1", 5, "laptop");
        await hub.PublishAsync("u1", 6, "laptop");

        var e = Next(subscription);
        Assert.Equal(6, e.Cursor);
        Assert.Equal("laptop", e.DeviceId);
    }

    [Fact]
    public async Task TwoDevices_FoldToNoDevice_SoNeitherSkipsIt()
    {
        using var hub = Hub();
        using var subscription = hub.Subscribe("u1", null, stream: false);
        await hub.PublishAsync("u1", 7, "desktop");
        await hub.PublishAsync("u1", 8, "laptop");

        var e = Next(subscription);
        Assert.Equal(8, e.Cursor);
        Assert.Null(e.DeviceId);
    }

    [Fact]
    public async Task OutOfOrderArrival_KeepsTheHighestCursor_OtherUsersUntouched()
    {
        using var hub = Hub();
        using var mine = hub.Subscribe("u1", null, stream: false);
        using var theirs = hub.Subscribe("u2", null, stream: false);
        await hub.PublishAsync("u1", 9, "laptop");
        await hub.PublishAsync("u1", 3, "laptop");

        Assert.Equal(9, Next(mine).Cursor);
        Assert.False(theirs.Events.Reader.TryRead(out _));
    }
}
