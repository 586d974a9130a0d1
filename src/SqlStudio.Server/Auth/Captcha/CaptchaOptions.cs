namespace SqlStudio.Server.Auth.Captcha;

/// <summary>The <c>Captcha</c> section.</summary>
public sealed class CaptchaOptions
{
    public const string Section = "Captcha";

    /// <summary><c>altcha</c> (self-hosted proof of work, default), <c>turnstile</c> or <c>none</c>.</summary>
    public string Provider { get; set; } = "altcha";

    public AltchaOptions Altcha { get; set; } = new();

    public TurnstileOptions Turnstile { get; set; } = new();
}

public sealed class AltchaOptions
{
    /// <summary>HMAC secret that signs challenges. Several instances must share it; when unset, one is generated
    /// and kept at <see cref="KeyPath"/>.</summary>
    public string? HmacKey { get; set; }

    public string KeyPath { get; set; } = "data/keys/altcha.key";

    /// <summary>Difficulty: the secret counter is drawn from [CounterMin, CounterMax]; the browser tries every
    /// value up to it, each costing <see cref="Cost"/> SHA-256 rounds.</summary>
    public int CounterMin { get; set; } = 5_000;
    public int CounterMax { get; set; } = 25_000;
    public int Cost { get; set; } = 1;

    public TimeSpan Expiry { get; set; } = TimeSpan.FromMinutes(5);
}

public sealed class TurnstileOptions
{
    public string? SiteKey { get; set; }
    public string? SecretKey { get; set; }
    public string VerifyUrl { get; set; } = "https://challenges.cloudflare.com/turnstile/v0/siteverify";
}
