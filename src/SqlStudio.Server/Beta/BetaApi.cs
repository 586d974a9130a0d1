using Microsoft.AspNetCore.Http.HttpResults;
using System.Security.Claims;
using SqlStudio.Contracts;
using SqlStudio.Server.Auth;
using SqlStudio.Server.Auth.Captcha;

namespace SqlStudio.Server.Beta;

/// <summary>The beta routes: the waitlist, feedback, and the launch figures for admins.</summary>
public static class BetaApi
{
    public static IEndpointRouteBuilder MapBetaApi(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost("/api/beta/waitlist", JoinWaitlist).WithTags("Beta")
            .WithMetadata(new Refusals(Refusals.Validation, Refusals.CaptchaFailed, Refusals.RateLimited)).WithSummary("Join the beta waitlist (a confirmation email follows)");
        endpoints.MapPost("/api/feedback", SendFeedback).WithTags("Beta").RequireAuthorization(AuthExtensions.ApiPolicy)
            .WithMetadata(new Refusals(Refusals.Validation, Refusals.RateLimited))
            .WithSummary("Send feedback: a bug, an idea or praise, with an optional 1–5 rating");
        endpoints.MapGet("/api/features", async (Microsoft.FeatureManagement.IFeatureManager features) => TypedResults.Ok(await Features.ForUserAsync(features)))
            .WithTags("Beta").RequireAuthorization(AuthExtensions.ApiPolicy).WithSummary("The feature flags for this user (targeted rollout)");
        var onboarding = endpoints.MapGroup("/api/onboarding").WithTags("Beta").RequireAuthorization(AuthExtensions.ApiPolicy);
        onboarding.MapGet("", async (ClaimsPrincipal user, Onboarding steps, HttpContext context) =>
            TypedResults.Ok(await steps.StateAsync(user.UserId(), context.RequestAborted))).WithSummary("The onboarding checklist and where this user is");
        onboarding.MapPost("/{step}/skip", SkipStep).WithMetadata(new Refusals((404, "There is no such onboarding step (`not_found`)."))).WithSummary("Skip an onboarding step");
        endpoints.MapGet("/api/whats-new", (string? since, WhatsNew news) => TypedResults.Ok(news.Since(since)))
            .WithTags("Beta").RequireAuthorization(AuthExtensions.ApiPolicy).WithSummary("What changed, newest first (optionally only after a version)");
        endpoints.MapGet("/api/admin/launch", Launch).WithTags("Admin").RequireAuthorization(AuthExtensions.ApiPolicy)
            .AddEndpointFilter(AdminOnly).WithMetadata(new Refusals((404, "Not an admin: the route does not exist for this account (`not_found`)."))).WithSummary("The beta's launch figures against the plan's targets (admins only)");
        return endpoints;
    }

    private static async Task<Results<Accepted, ProblemHttpResult>> JoinWaitlist(WaitlistRequest request, Waitlist waitlist, ICaptcha captcha, AuthRateLimits limits, HttpContext context)
    {
        var ip = context.Connection.RemoteIpAddress?.ToString();
        var email = Auth.EmailAddresses.Normalize(request.Email);
        if (Accounts.EmailProblem(email) is { } problem)
        {
            return Failure.Validation(new Dictionary<string, string[]> { ["email"] = [problem] }).ToProblem(context);
        }
        if (await limits.Waitlist(ip) is { } limited)
        {
            return limited.ToProblem(context);
        }
        if (!await captcha.VerifyAsync(request.Captcha, ip, context.RequestAborted))
        {
            return AuthApi.CaptchaFailed().ToProblem(context);
        }
        await waitlist.JoinAsync(email, context.RequestAborted);
        return TypedResults.Accepted((string?)null);
    }

    private static async Task<Results<Created<FeedbackResponse>, ProblemHttpResult>> SendFeedback(FeedbackRequest request, ClaimsPrincipal user, FeedbackService feedback, HttpContext context)
    {
        var outcome = await feedback.SubmitAsync(user.UserId(), request, context.RequestAborted);
        return outcome.Value is { } created ? TypedResults.Created((string?)null, created) : outcome.Failure!.ToProblem(context);
    }

    private static async Task<Results<Ok<OnboardingResponse>, ProblemHttpResult>> SkipStep(string step, ClaimsPrincipal user, Onboarding steps, HttpContext context) =>
        await steps.MarkAsync(user.UserId(), step, skipped: true, context.RequestAborted)
            ? TypedResults.Ok(await steps.StateAsync(user.UserId(), context.RequestAborted))
            : new Failure(404, ErrorCodes.NotFound, $"There is no onboarding step '{step}'; the steps are {string.Join(", ", Onboarding.Steps)}.").ToProblem(context);

    private static async Task<Ok<LaunchReport>> Launch(LaunchFigures figures, HttpContext context) =>
        TypedResults.Ok(await figures.ReportAsync(context.RequestAborted));

    /// <summary>Admin routes answer 404 to everyone else: they do not exist for them.</summary>
    internal static async ValueTask<object?> AdminOnly(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var row = await http.RequestServices.GetRequiredService<AccountStore>().FindByIdAsync(http.User.UserId());
        return row is { Role: "admin" } ? await next(context) : new Failure(404, ErrorCodes.NotFound, "Not found.").ToProblem(http);
    }
}
