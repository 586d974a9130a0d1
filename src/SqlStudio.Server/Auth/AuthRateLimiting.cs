using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.RateLimiting;

namespace SqlStudio.Server.Auth;

/// <summary>Per-IP limits applied by ASP.NET Core's rate limiter middleware to the anonymous auth endpoints.</summary>
public static class AuthRateLimiting
{
    public const string Register = "register";
    public const string Login = "login";
    public const string ForgotPassword = "forgot-password";

    public static IServiceCollection AddAuthRateLimiting(this IServiceCollection services, RateLimitOptions rules)
    {
        services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.OnRejected = WriteRejectionAsync;
            AddPerIp(o, Register, rules.Register);
            AddPerIp(o, Login, rules.Login);
            AddPerIp(o, ForgotPassword, rules.ForgotPassword);
        });
        return services;
    }

    private static void AddPerIp(RateLimiterOptions options, string name, RateLimitRule rule) =>
        options.AddPolicy(name, context => RateLimitPartition.GetFixedWindowLimiter(
            context.Connection.RemoteIpAddress?.ToString() ?? "unknown", _ => rule.ToLimiterOptions()));

    private static async ValueTask WriteRejectionAsync(OnRejectedContext context, CancellationToken cancellationToken)
    {
        var wait = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : TimeSpan.FromMinutes(1);
        var http = context.HttpContext;
        http.Response.Headers.RetryAfter = ((int)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        await http.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
        {
            HttpContext = http,
            ProblemDetails = new ProblemDetails
            {
                Status = StatusCodes.Status429TooManyRequests,
                Title = "Too many requests",
                Detail = $"Too many attempts. Try again in {Math.Ceiling(wait.TotalSeconds)} seconds.",
                Extensions = { ["code"] = "rate_limited" },
            },
        });
    }
}
