using System.Threading.RateLimiting;

namespace SqlStudio.Server.Auth;

/// <summary>One limit: <c>PermitLimit</c> requests per <c>Window</c>.</summary>
public sealed class RateLimitRule
{
    public int PermitLimit { get; set; }
    public TimeSpan Window { get; set; }

    public FixedWindowRateLimiterOptions ToLimiterOptions() => new()
    {
        PermitLimit = PermitLimit,
        Window = Window,
        QueueLimit = 0,
        AutoReplenishment = true,
    };
}

/// <summary>The <c>RateLimits</c> section (docs/configuration.md); each rule is configurable, e.g. <c>RateLimits:Login:PermitLimit</c>.</summary>
public sealed class RateLimitOptions
{
    public const string Section = "RateLimits";

    public RateLimitRule Register { get; set; } = new() { PermitLimit = 5, Window = TimeSpan.FromHours(1) };
    public RateLimitRule Login { get; set; } = new() { PermitLimit = 10, Window = TimeSpan.FromMinutes(1) };
    public RateLimitRule ForgotPassword { get; set; } = new() { PermitLimit = 5, Window = TimeSpan.FromHours(1) };
    public RateLimitRule ForgotPasswordAccount { get; set; } = new() { PermitLimit = 3, Window = TimeSpan.FromHours(1) };
    public RateLimitRule ResendVerification { get; set; } = new() { PermitLimit = 3, Window = TimeSpan.FromHours(1) };
    public RateLimitRule ResendVerificationFromIp { get; set; } = new() { PermitLimit = 20, Window = TimeSpan.FromHours(1) };
    public RateLimitRule Refresh { get; set; } = new() { PermitLimit = 30, Window = TimeSpan.FromMinutes(1) };
    public RateLimitRule Waitlist { get; set; } = new() { PermitLimit = 5, Window = TimeSpan.FromHours(1) };
    public RateLimitRule Feedback { get; set; } = new() { PermitLimit = 10, Window = TimeSpan.FromHours(1) };
}

/// <summary>
/// The auth limits, shared by the API and the pages so that neither is a way around the other. Per-IP limits are keyed
/// by the client address; per-account ones by a hash of the email as typed (a fixed 44 characters whatever was sent,
/// so an anonymous caller cannot grow memory with long keys), whether or not an account has it, so a 429 never tells
/// that an account exists; the refresh limit by session.
/// With <c>Notifications:Redis</c> set, every instance counts in the same Redis key (a fixed window: INCR, and an
/// expiry set by the first hit), so N instances do not multiply a limit. Without Redis, or while it is unreachable,
/// each instance counts on its own with System.Threading.RateLimiting's partitioned fixed-window limiters, whose idle
/// partitions are dropped (memory stays bounded).
/// </summary>
public sealed class AuthRateLimits(RateLimitOptions options, Bus.InstanceBus shared, ILogger<AuthRateLimits> logger) : IDisposable
{
    private readonly PartitionedRateLimiter<string> _register = Create(options.Register);
    private readonly PartitionedRateLimiter<string> _login = Create(options.Login);
    private readonly PartitionedRateLimiter<string> _forgotIp = Create(options.ForgotPassword);
    private readonly PartitionedRateLimiter<string> _forgot = Create(options.ForgotPasswordAccount);
    private readonly PartitionedRateLimiter<string> _resend = Create(options.ResendVerification);
    private readonly PartitionedRateLimiter<string> _resendIp = Create(options.ResendVerificationFromIp);
    private readonly PartitionedRateLimiter<string> _refresh = Create(options.Refresh);
    private readonly PartitionedRateLimiter<string> _waitlist = Create(options.Waitlist);
    private readonly PartitionedRateLimiter<string> _feedback = Create(options.Feedback);

    private static readonly StackExchange.Redis.LuaScript FixedWindow = StackExchange.Redis.LuaScript.Prepare(
        "local n = redis.call('INCR', @key) if n == 1 then redis.call('PEXPIRE', @key, @window) end return {n, redis.call('PTTL', @key)}");

    public ValueTask<Failure?> Register(string? ip) => AcquireAsync("register", options.Register, _register, ip ?? "unknown");

    public ValueTask<Failure?> Login(string? ip) => AcquireAsync("login", options.Login, _login, ip ?? "unknown");

    public ValueTask<Failure?> ForgotPasswordFromIp(string? ip) => AcquireAsync("forgot-ip", options.ForgotPassword, _forgotIp, ip ?? "unknown");

    public ValueTask<Failure?> ForgotPassword(string email) => AcquireAsync("forgot", options.ForgotPasswordAccount, _forgot, AccountKey(email));

    public ValueTask<Failure?> ResendVerification(string email) => AcquireAsync("resend", options.ResendVerification, _resend, AccountKey(email));

    public ValueTask<Failure?> ResendVerificationFromIp(string? ip) => AcquireAsync("resend-ip", options.ResendVerificationFromIp, _resendIp, ip ?? "unknown");

    public ValueTask<Failure?> Refresh(string sessionId) => AcquireAsync("refresh", options.Refresh, _refresh, sessionId);

    public ValueTask<Failure?> Waitlist(string? ip) => AcquireAsync("waitlist", options.Waitlist, _waitlist, ip ?? "unknown");

    public ValueTask<Failure?> Feedback(string userId) => AcquireAsync("feedback", options.Feedback, _feedback, userId);

    /// <summary>The longest address SMTP carries (RFC 5321: 254 characters); anything longer is refused before any limiter.</summary>
    public const int MaxEmailLength = 254;

    private static string AccountKey(string email) =>
        Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(EmailAddresses.Normalize(email).ToLowerInvariant())));

    public void Dispose()
    {
        _register.Dispose();
        _login.Dispose();
        _forgotIp.Dispose();
        _forgot.Dispose();
        _resend.Dispose();
        _resendIp.Dispose();
        _refresh.Dispose();
        _waitlist.Dispose();
        _feedback.Dispose();
    }

    private async ValueTask<Failure?> AcquireAsync(string name, RateLimitRule rule, PartitionedRateLimiter<string> local, string key)
    {
        if (shared.UsesRedis)
        {
            try
            {
                var redis = await shared.ConnectAsync();
                var result = (StackExchange.Redis.RedisResult[])(await redis.GetDatabase().ScriptEvaluateAsync(FixedWindow,
                    new { key = (StackExchange.Redis.RedisKey)$"sqlstudio:rate:{name}:{key}", window = (long)rule.Window.TotalMilliseconds }))!;
                var count = (long)result[0];
                var ttl = (long)result[1];
                return count <= rule.PermitLimit ? null : Failure.RateLimited(TimeSpan.FromMilliseconds(ttl > 0 ? ttl : rule.Window.TotalMilliseconds));
            }
            catch (Exception ex) when (ex is StackExchange.Redis.RedisException or TimeoutException or ObjectDisposedException)
            {
                logger.LogWarning("Redis unavailable for rate limits ({Message}); this instance counts on its own", ex.Message);
            }
        }
        using var lease = local.AttemptAcquire(key);
        if (lease.IsAcquired)
        {
            return null;
        }
        return Failure.RateLimited(lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromMinutes(1));
    }

    private static PartitionedRateLimiter<string> Create(RateLimitRule rule) =>
        PartitionedRateLimiter.Create<string, string>(key => RateLimitPartition.GetFixedWindowLimiter(key, _ => rule.ToLimiterOptions()));
}
