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
    public RateLimitRule ResendVerificationFromIp { get; set; } = new() { PermitLimit = 20, Window = TimeSpan.FromHours(1) };
    public RateLimitRule Refresh { get; set; } = new() { PermitLimit = 30, Window = TimeSpan.FromMinutes(1) };
}

/// <summary>
/// The auth limits, as ASP.NET Core's partitioned fixed-window rate limiters (System.Threading.RateLimiting),
/// shared by the API and the pages so that neither is a way around the other. Per-IP limits are keyed by the
/// client address; per-account ones by a hash of the email as typed (a fixed 44 characters whatever was sent, so an
/// anonymous caller cannot grow memory with long keys), whether or not an account has it, so a 429 never tells that
/// an account exists; the refresh limit by session.
/// </summary>
public sealed class AuthRateLimits(RateLimitOptions options) : IDisposable
{
    private readonly PartitionedRateLimiter<string> _register = Create(options.Register);
    private readonly PartitionedRateLimiter<string> _login = Create(options.Login);
    private readonly PartitionedRateLimiter<string> _forgotIp = Create(options.ForgotPassword);
    private readonly PartitionedRateLimiter<string> _forgot = Create(options.ForgotPasswordAccount);
    private readonly PartitionedRateLimiter<string> _resend = Create(options.ResendVerification);
    private readonly PartitionedRateLimiter<string> _resendIp = Create(options.ResendVerificationFromIp);
    private readonly PartitionedRateLimiter<string> _refresh = Create(options.Refresh);

    public Failure? Register(string? ip) => Acquire(_register, ip ?? "unknown");

    public Failure? Login(string? ip) => Acquire(_login, ip ?? "unknown");

    public Failure? ForgotPasswordFromIp(string? ip) => Acquire(_forgotIp, ip ?? "unknown");

    public Failure? ForgotPassword(string email) => Acquire(_forgot, AccountKey(email));

    public Failure? ResendVerification(string email) => Acquire(_resend, AccountKey(email));

    public Failure? ResendVerificationFromIp(string? ip) => Acquire(_resendIp, ip ?? "unknown");

    /// <summary>The longest address SMTP carries (RFC 5321: 254 characters); anything longer is refused before any limiter.</summary>
    public const int MaxEmailLength = 254;

    private static string AccountKey(string email) =>
        Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(email.Trim().ToLowerInvariant())));

    public Failure? Refresh(string sessionId) => Acquire(_refresh, sessionId);

    public void Dispose()
    {
        _register.Dispose();
        _login.Dispose();
        _forgotIp.Dispose();
        _forgot.Dispose();
        _resend.Dispose();
        _resendIp.Dispose();
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
