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

/// <summary>The <c>RateLimits</c> section (API.md); each rule is configurable, e.g. <c>RateLimits:Login:PermitLimit</c>.</summary>
public sealed class RateLimitOptions
{
    public const string Section = "RateLimits";

    public RateLimitRule Register { get; set; } = new() { PermitLimit = 5, Window = TimeSpan.FromHours(1) };
    public RateLimitRule Login { get; set; } = new() { PermitLimit = 10, Window = TimeSpan.FromMinutes(1) };
    public RateLimitRule ForgotPassword { get; set; } = new() { PermitLimit = 5, Window = TimeSpan.FromHours(1) };
    public RateLimitRule ForgotPasswordAccount { get; set; } = new() { PermitLimit = 3, Window = TimeSpan.FromHours(1) };
    public RateLimitRule ResendVerification { get; set; } = new() { PermitLimit = 3, Window = TimeSpan.FromHours(1) };
    public RateLimitRule Refresh { get; set; } = new() { PermitLimit = 30, Window = TimeSpan.FromMinutes(1) };
}

/// <summary>
/// Limits keyed by something only known inside the handler (an account's email, a session): the same
/// System.Threading.RateLimiting limiters the middleware uses for per-IP policies. Keyed by the email as
/// typed, whether or not an account has it, so a 429 never tells that an account exists.
/// </summary>
public sealed class AccountRateLimits(RateLimitOptions options) : IDisposable
{
    private readonly PartitionedRateLimiter<string> _forgot = Create(options.ForgotPasswordAccount);
    private readonly PartitionedRateLimiter<string> _resend = Create(options.ResendVerification);
    private readonly PartitionedRateLimiter<string> _refresh = Create(options.Refresh);

    public Failure? ForgotPassword(string email) => Acquire(_forgot, email.Trim().ToLowerInvariant());

    public Failure? ResendVerification(string email) => Acquire(_resend, email.Trim().ToLowerInvariant());

    public Failure? Refresh(string sessionId) => Acquire(_refresh, sessionId);

    public void Dispose()
    {
        _forgot.Dispose();
        _resend.Dispose();
        _refresh.Dispose();
    }

    private static Failure? Acquire(PartitionedRateLimiter<string> limiter, string key)
    {
        using var lease = limiter.AttemptAcquire(key);
        if (lease.IsAcquired)
        {
            return null;
        }
        return Failure.RateLimited(lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromMinutes(1));
    }

    private static PartitionedRateLimiter<string> Create(RateLimitRule rule) =>
        PartitionedRateLimiter.Create<string, string>(key => RateLimitPartition.GetFixedWindowLimiter(key, _ => rule.ToLimiterOptions()));
}
