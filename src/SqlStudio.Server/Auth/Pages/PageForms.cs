using SqlStudio.Server.Auth.Captcha;
using SqlStudio.Contracts;

namespace SqlStudio.Server.Auth.Pages;

/// <summary>What the account pages share: turning a <see cref="Failure"/> into a status, a message and field errors.</summary>
public static class PageForms
{
    /// <summary>Sets the response status (and Retry-After) for a failed form post.</summary>
    public static void Apply(HttpContext context, Failure failure)
    {
        context.Response.StatusCode = failure.Status;
        if (failure.RetryAfter is { } wait)
        {
            context.Response.Headers.RetryAfter = ((int)Math.Ceiling(wait.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
    }

    public static string? Invalid(Failure? failure, string field) =>
        failure?.Errors?.ContainsKey(field) == true ? "true" : null;

    public static async Task<Failure?> CheckCaptchaAsync(ICaptcha captcha, HttpContext context, string? response) =>
        await captcha.VerifyAsync(response, context.Connection.RemoteIpAddress?.ToString(), context.RequestAborted)
            ? null
            : new Failure(400, AuthErrorCodes.CaptchaFailed, "Please complete the check that you are human.",
                new Dictionary<string, string[]> { ["captcha"] = ["Complete the check and submit again."] });

    /// <summary>Only a path on this site: never an absolute or protocol-relative URL (open redirect).</summary>
    public static string SafeReturnUrl(string? returnUrl) =>
        returnUrl is { Length: > 1 } url && url[0] == '/' && url[1] != '/' && url[1] != '\\' ? url : "/account";
}
