namespace SqlStudio.Contracts;

/// <summary><c>POST /api/beta/waitlist</c>.</summary>
public sealed record WaitlistRequest(string? Email, string? Captcha = null);

/// <summary><c>POST /api/feedback</c>: <c>kind</c> is <c>bug</c>, <c>idea</c> or <c>praise</c>; <c>rating</c> 1–5.</summary>
public sealed record FeedbackRequest(string? Kind, string? Message, int? Rating = null, string? Context = null);

public sealed record FeedbackResponse(string FeedbackId);

/// <summary>One launch figure: how many, the rate it stands for (null for plain counts), the plan's target, and whether it is met.</summary>
public sealed record LaunchFigure(double Count, double? Rate, string Target, bool Met);

/// <summary><c>GET /api/admin/launch</c>: the beta's figures against the plan's targets.</summary>
public sealed record LaunchReport(
    LaunchFigure Signups, LaunchFigure Verified, LaunchFigure OnboardingCompleted, LaunchFigure SyncEnabled, LaunchFigure Trialing,
    LaunchFigure Paying, LaunchFigure Conversion, LaunchFigure Satisfaction, string GeneratedAt);

public static class BetaErrorCodes
{
    public const string InviteInvalid = "invite_invalid";
    public const string InviteRequired = "invite_required";
}

/// <summary>One onboarding step: done by its event (or skipped), and when.</summary>
public sealed record OnboardingStep(string Id, bool Done, string? DoneAt, bool Skipped);

/// <summary><c>GET /api/onboarding</c>.</summary>
public sealed record OnboardingResponse(bool Completed, IReadOnlyList<OnboardingStep> Steps);

/// <summary>One "what's new" entry (<c>GET /api/whats-new</c>), newest first.</summary>
public sealed record WhatsNewEntry(string Version, string Date, string Title, string Body);
