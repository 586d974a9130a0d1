using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Threading.Channels;

namespace SqlStudio.Server.Sync;

/// <summary>A commit moved a user's cursor (<see cref="Cursor"/>), made by <see cref="DeviceId"/> when a device made it.</summary>
public sealed record SyncEvent(string UserId, long Cursor, string? DeviceId, DateTimeOffset CommittedAt);

/// <summary>One open event stream or long-poll: the newest event waiting for it (older ones coalesce), and whether its session ended.</summary>
public sealed class SyncSubscription : IDisposable
{
    private readonly Action<SyncSubscription> _remove;

    internal SyncSubscription(string userId, string? sessionId, Action<SyncSubscription> remove)
    {
        UserId = userId;
        SessionId = sessionId;
        _remove = remove;
    }

    public string UserId { get; }

    public string? SessionId { get; }

    /// <summary>Capacity one (see <see cref="Offer"/>): a burst of commits is one event carrying the latest cursor.</summary>
    public Channel<SyncEvent> Events { get; } = Channel.CreateBounded<SyncEvent>(new BoundedChannelOptions(1)
    {
        FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true,
    });

    private readonly Lock _offering = new();

    /// <summary>
    /// Queues a commit for this stream, folded into the one already waiting: the newest cursor, the oldest commit time,
    /// and the device only when every folded commit came from the same one (a device skips only its own echo).
    /// </summary>
    public void Offer(SyncEvent next)
    {
        lock (_offering)
        {
            if (Events.Reader.TryRead(out var waiting))
            {
                next = new SyncEvent(next.UserId, Math.Max(next.Cursor, waiting.Cursor), next.DeviceId == waiting.DeviceId ? next.DeviceId : null,
                    next.CommittedAt < waiting.CommittedAt ? next.CommittedAt : waiting.CommittedAt);
            }
            Events.Writer.TryWrite(next);
        }
    }

    /// <summary>Cancelled when this subscription's session is revoked (on any instance).</summary>
    public CancellationTokenSource Ended { get; } = new();

    public void Dispose()
    {
        _remove(this);
        Ended.Dispose();
    }
}

/// <summary>
/// Fans commits out to the user's open streams on this instance; commits on any instance arrive through the
/// <see cref="Bus.InstanceBus"/> (in process, or Redis pub/sub between instances). Ended sessions end their streams.
/// Events only say "pull now", so a lost one costs a poll, never data.
/// </summary>
public sealed class SyncEventHub : IDisposable
{
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<SyncSubscription, byte>> _byUser = new();
    private readonly Bus.InstanceBus _bus;
    private readonly TimeProvider _time;
    private readonly Histogram<double> _propagation;
    private readonly Meter _meter = new("SqlStudio.Server.SyncEvents");
    private int _streams;

    public SyncEventHub(Bus.InstanceBus bus, TimeProvider time)
    {
        _bus = bus;
        _time = time;
        _propagation = _meter.CreateHistogram<double>("sqlstudio.sync.propagation", "s", "Commit to event written to a stream",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] });
        _meter.CreateObservableGauge("sqlstudio.sync.streams", () => Volatile.Read(ref _streams), description: "Open event streams");
        bus.ChangesCommitted += OnChanges;
        bus.SessionsEnded += OnSessionsEnded;
    }

    public int OpenStreams(string userId) => _byUser.TryGetValue(userId, out var subs) ? subs.Keys.Count(s => s.SessionId is not null) : 0;

    public SyncSubscription Subscribe(string userId, string? sessionId, bool stream)
    {
        var subscription = new SyncSubscription(userId, sessionId, s =>
        {
            if (_byUser.TryGetValue(s.UserId, out var set))
            {
                set.TryRemove(s, out _);
            }
            if (stream)
            {
                Interlocked.Decrement(ref _streams);
            }
        });
        _byUser.GetOrAdd(userId, _ => new ConcurrentDictionary<SyncSubscription, byte>())[subscription] = 0;
        if (stream)
        {
            Interlocked.Increment(ref _streams);
        }
        return subscription;
    }

    /// <summary>Announces a commit that moved <paramref name="userId"/>'s cursor, on every instance.</summary>
    public Task PublishAsync(string userId, long cursor, string? deviceId) =>
        _bus.ChangesCommittedAsync(userId, cursor, deviceId, _time.GetUtcNow().ToUnixTimeMilliseconds());

    /// <summary>Writes a stream's delivered event into the propagation histogram (commit → written).</summary>
    public void Delivered(SyncEvent e) => _propagation.Record(Math.Max(0, (_time.GetUtcNow() - e.CommittedAt).TotalSeconds));

    private void OnChanges(string userId, long cursor, string? deviceId, long at)
    {
        if (_byUser.TryGetValue(userId, out var subscriptions))
        {
            foreach (var subscription in subscriptions.Keys)
            {
                subscription.Offer(new SyncEvent(userId, cursor, deviceId, DateTimeOffset.FromUnixTimeMilliseconds(at)));
            }
        }
    }

    private void OnSessionsEnded(string userId, IReadOnlyCollection<string> sessionIds)
    {
        if (_byUser.TryGetValue(userId, out var subscriptions))
        {
            foreach (var subscription in subscriptions.Keys.Where(s => s.SessionId is { } sid && sessionIds.Contains(sid)))
            {
                subscription.Ended.Cancel();
            }
        }
    }

    public void Dispose()
    {
        _bus.ChangesCommitted -= OnChanges;
        _bus.SessionsEnded -= OnSessionsEnded;
        _meter.Dispose();
    }
}
