using System.Text.Json;

namespace SqlStudio.Server.Auth.Captcha;

/// <summary>Cloudflare Turnstile: the widget's token is checked with the siteverify endpoint.</summary>
public sealed class TurnstileCaptcha(HttpClient http, TurnstileOptions options, ILogger<TurnstileCaptcha> logger) : ICaptcha
{
    public string Provider => "turnstile";

    public string? SiteKey => options.SiteKey;

    public async Task<bool> VerifyAsync(string? response, string? remoteIp, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(response) || response.Length > 2048)
        {
            return false;
        }
        var form = new Dictionary<string, string> { ["secret"] = options.SecretKey ?? "", ["response"] = response };
        if (remoteIp is not null)
        {
            form["remoteip"] = remoteIp;
        }
        try
        {
            using var reply = await http.PostAsync(options.VerifyUrl, new FormUrlEncodedContent(form), cancellationToken);
            using var json = JsonDocument.Parse(await reply.Content.ReadAsStringAsync(cancellationToken));
            return reply.IsSuccessStatusCode && json.RootElement.TryGetProperty("success", out var ok) && ok.GetBoolean();
        }
        catch (Exception ex) when (ex is HttpRequestException or JsonException or TaskCanceledException)
        {
            // Fail closed: without an answer from Cloudflare nobody passes.
            logger.LogWarning(ex, "Turnstile siteverify failed");
            return false;
        }
    }
}
