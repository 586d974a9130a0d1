using System.ComponentModel.DataAnnotations;

namespace SqlStudio.Server.Auth;

/// <summary>The <c>App</c> section: where the server is reached from outside.</summary>
public sealed class AppOptions
{
    public const string Section = "App";

    /// <summary>Base of every link the server sends; never taken from the request's Host header.</summary>
    public string PublicUrl { get; set; } = "http://localhost:5080";

    /// <summary>Where the SQL Studio desktop app is downloaded (its release page); /download links to it when set.</summary>
    public string? DownloadUrl { get; set; }

    public string Link(string pathAndQuery) => PublicUrl.TrimEnd('/') + pathAndQuery;
}

/// <summary>The <c>Auth</c> section (docs/configuration.md): token and session lifetimes, lockout, key location.</summary>
public sealed class AuthOptions
{
    public const string Section = "Auth";

    [Range(typeof(TimeSpan), "00:00:00.001", "3650.00:00:00", ErrorMessage = "must be more than zero and at most 3650 days.")]

    public TimeSpan AccessTokenLifetime { get; set; } = TimeSpan.FromMinutes(15);
    [Range(typeof(TimeSpan), "00:00:00.001", "3650.00:00:00", ErrorMessage = "must be more than zero and at most 3650 days.")]
    public TimeSpan RefreshTokenLifetime { get; set; } = TimeSpan.FromDays(7);
    [Range(typeof(TimeSpan), "00:00:00.001", "3650.00:00:00", ErrorMessage = "must be more than zero and at most 3650 days.")]
    public TimeSpan RememberMeLifetime { get; set; } = TimeSpan.FromDays(30);
    [Range(typeof(TimeSpan), "00:00:00.001", "3650.00:00:00", ErrorMessage = "must be more than zero and at most 3650 days.")]
    public TimeSpan SessionAbsoluteLifetime { get; set; } = TimeSpan.FromDays(90);

    /// <summary>Active sessions one account may have; a new one past it ends the least recently used.</summary>
    [Range(1, 100000, ErrorMessage = "must be between {1} and {2}.")]
    public int MaxSessionsPerUser { get; set; } = 50;
    [Range(typeof(TimeSpan), "00:00:00", "3650.00:00:00", ErrorMessage = "must be zero or more, at most 3650 days.")]
    public TimeSpan RefreshReuseGrace { get; set; } = TimeSpan.FromSeconds(10);
    [Range(typeof(TimeSpan), "00:00:00.001", "3650.00:00:00", ErrorMessage = "must be more than zero and at most 3650 days.")]
    public TimeSpan EmailVerificationLifetime { get; set; } = TimeSpan.FromDays(1);
    [Range(typeof(TimeSpan), "00:00:00.001", "3650.00:00:00", ErrorMessage = "must be more than zero and at most 3650 days.")]
    public TimeSpan PasswordResetLifetime { get; set; } = TimeSpan.FromHours(1);
    public string SigningKeyPath { get; set; } = "data/keys/signing.pem";

    /// <summary>The <c>iss</c> of access tokens; defaults to <c>App:PublicUrl</c>.</summary>
    public string? Issuer { get; set; }

    public string Audience { get; set; } = "sqlstudio-api";

    /// <summary>PBKDF2-HMAC-SHA512 iterations (OWASP: at least 210,000).</summary>
    [Range(1000, 10000000, ErrorMessage = "must be between {1} and {2} (OWASP asks at least 210,000 for PBKDF2-SHA512; lower is for tests only).")]
    public int PasswordIterations { get; set; } = 210_000;

    /// <summary>Failed logins within <see cref="LockoutWindow"/> that lock the account.</summary>
    [Range(1, 1000, ErrorMessage = "must be between {1} and {2}.")]
    public int LockoutFailures { get; set; } = 10;
    [Range(typeof(TimeSpan), "00:00:00.001", "3650.00:00:00", ErrorMessage = "must be more than zero and at most 3650 days.")]
    public TimeSpan LockoutWindow { get; set; } = TimeSpan.FromMinutes(15);
    [Range(typeof(TimeSpan), "00:00:00.001", "3650.00:00:00", ErrorMessage = "must be more than zero and at most 3650 days.")]
    public TimeSpan LockoutDuration { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>How long a session's "still active" answer is cached per instance (revocation clears it).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "3650.00:00:00", ErrorMessage = "must be zero or more, at most 3650 days.")]
    public TimeSpan SessionCacheLifetime { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How often a session's last-seen time is written while it is in use.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "3650.00:00:00", ErrorMessage = "must be zero or more, at most 3650 days.")]
    public TimeSpan SessionTouchInterval { get; set; } = TimeSpan.FromMinutes(1);

    [Range(typeof(TimeSpan), "00:00:00", "3650.00:00:00", ErrorMessage = "must be zero or more, at most 3650 days.")]

    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromSeconds(30);
}
