using System.Text.Json;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using StackExchange.Redis;

namespace SqlStudio.Server.Bus;

/// <summary>
/// What every instance must hear from the others, whichever feature speaks: a commit moved a user's cursor (Sync's
/// event streams), sessions ended (Auth's session cache), an account changed (cached accounts and plans). Through
/// Redis pub/sub (<c>Notifications:Redis</c>) when there are several instances, in process otherwise; if Redis is
/// unreachable, messages still reach this instance, a warning is logged, and readiness reports degraded. The same
/// connection serves the features that keep shared counters in Redis (rate limits, the CAPTCHA's spent answers).
/// </summary>
public sealed class InstanceBus : IAsyncDisposable
{
    private const string Channel = "sqlstudio:sync-events";

    private readonly ILogger<InstanceBus> _logger;
    private readonly string? _redisConfiguration;
    private readonly SemaphoreSlim _connecting = new(1, 1);
    private ConnectionMultiplexer? _redis;

    public InstanceBus(IConfiguration configuration, ILogger<InstanceBus> logger)
    {
        _logger = logger;
        _redisConfiguration = configuration["Notifications:Redis"] is { Length: > 0 } redis ? redis : null;
    }

    public bool UsesRedis => _redisConfiguration is not null;

    /// <summary>True when Redis is configured but not connected: messages reach this instance only.</summary>
    public bool Degraded => UsesRedis && _redis is not { IsConnected: true };

    /// <summary>A commit moved a user's cursor (on any instance): the user, the cursor, the device that made it, when (Unix ms).</summary>
    public event Action<string, long, string?, long>? ChangesCommitted;

    /// <summary>Sessions ended on some instance (this one included).</summary>
    public event Action<string, IReadOnlyCollection<string>>? SessionsEnded;

    /// <summary>An account or its subscription changed on some instance: cached copies go.</summary>
    public event Action<string>? AccountChanged;

    public Task ChangesCommittedAsync(string userId, long cursor, string? deviceId, long atUnixMs) =>
        SendAsync(new Message("changes", userId, cursor, deviceId, null, atUnixMs));

    /// <summary>Ends these sessions on every instance (logout, revocation, reuse detection, password change).</summary>
    public Task SessionsEndedAsync(string userId, IReadOnlyCollection<string> sessionIds) =>
        sessionIds.Count == 0 ? Task.CompletedTask : SendAsync(new Message("revoked", userId, 0, null, [.. sessionIds], 0));

    /// <summary>Tells every instance that this account changed (verification, linking, billing).</summary>
    public Task AccountChangedAsync(string userId) => SendAsync(new Message("account", userId, 0, null, null, 0));

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
            _logger.LogWarning("Redis unavailable ({Message}); messages reach this instance only (devices elsewhere poll)", ex.Message);
            Deliver(message);
        }
    }

    private void Deliver(Message message)
    {
        switch (message.Kind)
        {
            case "changes":
                ChangesCommitted?.Invoke(message.UserId, message.Cursor, message.DeviceId, message.At);
                break;
            case "revoked":
                SessionsEnded?.Invoke(message.UserId, message.Sessions ?? []);
                break;
            case "account":
                AccountChanged?.Invoke(message.UserId);
                break;
        }
    }

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
    }

    private sealed record Message(string Kind, string UserId, long Cursor, string? DeviceId, string[]? Sessions, long At);
}

/// <summary>Connects to Redis at start-up (when configured), so this instance hears the others from the first moment.</summary>
internal sealed class InstanceBusStartup(InstanceBus bus, ILogger<InstanceBusStartup> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!bus.UsesRedis)
        {
            return;
        }
        try
        {
            await bus.ConnectAsync();
        }
        catch (Exception ex)
        {
            logger.LogWarning("Redis not reachable at start-up ({Message}); messages stay on this instance until it is", ex.Message);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>Ready but degraded when Redis is configured and unreachable: sync works, cross-instance events do not.</summary>
internal sealed class InstanceBusHealthCheck(InstanceBus bus) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(bus.Degraded
            ? HealthCheckResult.Degraded("Redis unreachable: sync events reach this instance's devices only; the others poll")
            : HealthCheckResult.Healthy(bus.UsesRedis ? "sync events over Redis" : "sync events in process"));
}

public static class BusExtensions
{
    /// <summary>The bus every feature shares (registered before the features that listen to it).</summary>
    public static WebApplicationBuilder AddBus(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<InstanceBus>();
        builder.Services.AddHostedService<InstanceBusStartup>();
        // The check keeps its name: /health/ready's output and the /status page read it.
        builder.Services.AddHealthChecks().AddCheck<InstanceBusHealthCheck>("sync-events", tags: ["ready"]);
        return builder;
    }
}
