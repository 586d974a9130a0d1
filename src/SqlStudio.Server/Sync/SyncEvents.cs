using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using StackExchange.Redis;

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
/// Fans commits out to the user's open streams: in process on one instance, and through Redis pub/sub
/// (<c>Notifications:Redis</c>) to every instance when there are several. If Redis is unreachable, publishing still
/// delivers on this instance, a warning is logged, and readiness reports degraded: devices on other instances fall
/// back to polling, and nothing is lost, because events only say "pull now".
/// </summary>
public sealed class SyncEventHub : IAsyncDisposable
{
    private const string Channel = "sqlstudio:sync-events";

    private readonly ConcurrentDictionary<string, ConcurrentDictionary<SyncSubscription, byte>> _byUser = new();
    private readonly ILogger<SyncEventHub> _logger;
    private readonly TimeProvider _time;
    private readonly string? _redisConfiguration;
    private readonly Histogram<double> _propagation;
    private readonly Meter _meter = new("SqlStudio.Server.SyncEvents");
    private ConnectionMultiplexer? _redis;
    private int _streams;

    public SyncEventHub(IConfiguration configuration, ILogger<SyncEventHub> logger, TimeProvider time)
    {
        _logger = logger;
        _time = time;
        _redisConfiguration = configuration["Notifications:Redis"] is { Length: > 0 } redis ? redis : null;
        _propagation = _meter.CreateHistogram<double>("sqlstudio.sync.propagation", "s", "Commit to event written to a stream",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] });
        _meter.CreateObservableGauge("sqlstudio.sync.streams", () => Volatile.Read(ref _streams), description: "Open event streams");
    }

    public bool UsesRedis => _redisConfiguration is not null;

    /// <summary>True when Redis is configured but not connected: events reach this instance's streams only.</summary>
    public bool Degraded => UsesRedis && _redis is not { IsConnected: true };

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
    public async Task PublishAsync(string userId, long cursor, string? deviceId)
    {
        var message = new Message("changes", userId, cursor, deviceId, null, _time.GetUtcNow().ToUnixTimeMilliseconds());
        await SendAsync(message);
    }

    /// <summary>Ends the streams of these sessions, on every instance (logout, revocation, reuse detection, password change).</summary>
    public async Task SessionsEndedAsync(string userId, IReadOnlyCollection<string> sessionIds)
    {
        if (sessionIds.Count > 0)
        {
            await SendAsync(new Message("revoked", userId, 0, null, [.. sessionIds], 0));
        }
    }

    /// <summary>Sessions ended on some instance (this one included): each instance drops them from its session cache.</summary>
    public event Action<string, IReadOnlyCollection<string>>? SessionsEnded;

    /// <summary>An account or its subscription changed on some instance: each instance reads it again on the next request.</summary>
    public event Action<string>? AccountChanged;

    /// <summary>Tells every instance that this account changed (verification, linking, billing), so cached copies go.</summary>
    public Task AccountChangedAsync(string userId) => SendAsync(new Message("account", userId, 0, null, null, 0));

    /// <summary>Writes a stream's delivered event into the propagation histogram (commit → written).</summary>
    public void Delivered(SyncEvent e) => _propagation.Record(Math.Max(0, (_time.GetUtcNow() - e.CommittedAt).TotalSeconds));

    private async Task SendAsync(Message message)
    {
        if (_redisConfiguration is null)
        {
            Deliver(message);
            return;
        }
        try
        {
            var redis = await ConnectAsync();
            await redis.GetSubscriber().PublishAsync(RedisChannel.Literal(Channel), JsonSerializer.Serialize(message));
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or ObjectDisposedException)
        {
            _logger.LogWarning("Redis unavailable ({Message}); sync events reach this instance's devices only, the others poll", ex.Message);
            Deliver(message);
        }
    }

    private void Deliver(Message message)
    {
        if (message.Kind == "revoked")
        {
            SessionsEnded?.Invoke(message.UserId, message.Sessions ?? []);
        }
        else if (message.Kind == "account")
        {
            AccountChanged?.Invoke(message.UserId);
            return;
        }
        if (!_byUser.TryGetValue(message.UserId, out var subscriptions))
        {
            return;
        }
        foreach (var subscription in subscriptions.Keys)
        {
            if (message.Kind == "revoked")
            {
                if (subscription.SessionId is { } sid && message.Sessions!.Contains(sid))
                {
                    subscription.Ended.Cancel();
                }
                continue;
            }
            subscription.Offer(new SyncEvent(message.UserId, message.Cursor, message.DeviceId,
                DateTimeOffset.FromUnixTimeMilliseconds(message.At)));
        }
    }

    private readonly SemaphoreSlim _connecting = new(1, 1);

    /// <summary>Connects (once; StackExchange.Redis reconnects on its own) and subscribes this instance to the channel.</summary>
    public async Task<ConnectionMultiplexer> ConnectAsync()
    {
        if (_redis is { } connected)
        {
            return connected;
        }
        await _connecting.WaitAsync();
        try
        {
            if (_redis is { } raced)
            {
                return raced;
            }
            var options = ConfigurationOptions.Parse(_redisConfiguration!);
            options.AbortOnConnectFail = false;
            options.ConnectTimeout = Math.Min(options.ConnectTimeout, 2000);
            var redis = await ConnectionMultiplexer.ConnectAsync(options);
            await redis.GetSubscriber().SubscribeAsync(RedisChannel.Literal(Channel), (_, value) =>
            {
                if (value.HasValue && JsonSerializer.Deserialize<Message>(value.ToString()) is { } message)
                {
                    Deliver(message);
                }
            });
            _redis = redis;
            return redis;
        }
        finally
        {
            _connecting.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_redis is { } redis)
        {
            await redis.DisposeAsync();
        }
        _meter.Dispose();
    }

    private sealed record Message(string Kind, string UserId, long Cursor, string? DeviceId, string[]? Sessions, long At);
}

/// <summary>Connects to Redis at start-up (when configured), so this instance hears other instances' commits from the first moment.</summary>
internal sealed class SyncEventStartup(SyncEventHub hub, ILogger<SyncEventStartup> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!hub.UsesRedis)
        {
            return;
        }
        try
        {
            await hub.ConnectAsync();
        }
        catch (Exception ex)
        {
            logger.LogWarning("Redis not reachable at start-up ({Message}); sync events stay on this instance until it is", ex.Message);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>Ready but degraded when Redis is configured and unreachable: sync works, cross-instance events do not.</summary>
internal sealed class SyncEventsHealthCheck(SyncEventHub hub) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(hub.Degraded
            ? HealthCheckResult.Degraded("Redis unreachable: sync events reach this instance's devices only; the others poll")
            : HealthCheckResult.Healthy(hub.UsesRedis ? "sync events over Redis" : "sync events in process"));
}
