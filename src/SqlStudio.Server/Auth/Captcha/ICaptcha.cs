namespace SqlStudio.Server.Auth.Captcha;

/// <summary>Proves a human (or at least some work) is behind register and forgot-password.</summary>
public interface ICaptcha
{
    /// <summary><c>altcha</c>, <c>turnstile</c> or <c>none</c>: which widget the pages show.</summary>
    string Provider { get; }

    /// <summary>The public site key a widget needs (Turnstile), if any.</summary>
    string? SiteKey => null;

    /// <summary>A new challenge for <c>GET /api/auth/captcha</c> (ALTCHA only).</summary>
    object? CreateChallenge() => null;

    /// <summary>True when the widget's answer is valid, unexpired and not seen before; spends it.</summary>
    Task<bool> VerifyAsync(string? response, string? remoteIp, CancellationToken cancellationToken);

    /// <summary>
    /// True when an answer can be carried over to the form's next submission without spending it (a form refused for
    /// its fields keeps the person's solved check). Only a provider that can check an answer locally says yes.
    /// </summary>
    bool CanKeep(string? response) => false;
}

/// <summary><c>Captcha:Provider=none</c>: every request passes (for self-hosting behind other protection, and tests).</summary>
public sealed class NoCaptcha : ICaptcha
{
    public string Provider => "none";

    public Task<bool> VerifyAsync(string? response, string? remoteIp, CancellationToken cancellationToken) => Task.FromResult(true);
}
