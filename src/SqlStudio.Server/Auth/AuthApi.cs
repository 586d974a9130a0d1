using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using SqlStudio.Contracts;
using SqlStudio.Server.Auth.Captcha;
using SqlStudio.Server.Billing;

namespace SqlStudio.Server.Auth;

/// <summary>The Auth routes (the OpenAPI document at /docs/api; docs/security.md).</summary>
public static class AuthApi
{
    public static IEndpointRouteBuilder MapAuthApi(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/.well-known/jwks.json", (SigningKeys keys) => TypedResults.Ok(keys.Jwks()))
            .WithTags("Auth").WithSummary("Public keys that verify access tokens");

        // Token responses, session lists and the rest of the Auth API are never stored by a browser or a proxy.
        var auth = endpoints.MapGroup("/api/auth").WithTags("Auth").AddEndpointFilter(NoStore);
        auth.MapGet("/captcha", Captcha).WithMetadata(new Refusals((404, "This server asks for no check (`not_found`)."))).WithSummary("A new ALTCHA challenge");
        auth.MapPost("/register", Register).AddEndpointFilter(PerIp((limits, ip) => limits.Register(ip)))
            .WithMetadata(new Refusals(Refusals.Validation, Refusals.CaptchaFailed, (400, "The invite code is unknown, used up or for another email (`invite_invalid`)."),
                (403, "Registration is by invite during the beta (`invite_required`)."), (409, "An account with this email exists (`email_taken`)."), Refusals.RateLimited))
            .WithSummary("Create an account (email and password); a confirmation link goes by email");
        auth.MapPost("/verify-email", VerifyEmail).WithMetadata(new Refusals(TokenInvalid)).WithSummary("Confirm the email address with the token from the link");
        auth.MapPost("/resend-verification", ResendVerification).AddEndpointFilter(PerIp((limits, ip) => limits.ResendVerificationFromIp(ip)))
            .WithMetadata(new Refusals(Refusals.Validation, Refusals.RateLimited)).WithSummary("Send the confirmation link again (the same answer for any address)");
        auth.MapPost("/login", Login).AddEndpointFilter(PerIp((limits, ip) => limits.Login(ip)))
            .WithMetadata(new Refusals((401, "The email or password is not right, or the account may not sign in now (`invalid_credentials`)."), Refusals.RateLimited)).WithSummary("Sign in with email and password: an access token and a refresh token");
        auth.MapPost("/refresh", Refresh)
            .WithMetadata(new Refusals((401, "The refresh token is unknown, expired or its session ended (`token_invalid`), or was used before: the session ends (`token_reused`)."), Refusals.RateLimited)).WithSummary("Trade a refresh token for new tokens (each refresh token works once)");
        auth.MapPost("/forgot-password", ForgotPassword).AddEndpointFilter(PerIp((limits, ip) => limits.ForgotPasswordFromIp(ip)))
            .WithMetadata(new Refusals(Refusals.Validation, Refusals.CaptchaFailed, Refusals.RateLimited)).WithSummary("Email a password reset link (the same answer for any address)");
        auth.MapPost("/reset-password", ResetPassword).WithMetadata(new Refusals(Refusals.Validation, TokenInvalid)).WithSummary("Choose a new password with the token from the reset link; every session ends");

        var signedIn = auth.MapGroup("").RequireAuthorization(AuthExtensions.ApiPolicy);
        signedIn.MapPost("/logout", Logout).WithSummary("End this session");
        signedIn.MapPost("/logout-all", LogoutAll).WithSummary("End every session of the account");
        signedIn.MapGet("/sessions", ListSessions).WithMetadata(new Refusals(Refusals.Validation)).WithSummary("Where the account is signed in");
        signedIn.MapDelete("/sessions/{id}", RevokeSession).WithMetadata(new Refusals((404, "No active session of this account has this id (`not_found`)."))).WithSummary("End one session");
        signedIn.MapPost("/change-password", ChangePassword).WithMetadata(new Refusals(Refusals.Validation)).WithSummary("Change the password (the current one required); other sessions end");
        signedIn.MapGet("/me", Me).WithSummary("The signed-in user: profile, tier and entitlement");
        return endpoints;
    }

    private static readonly (int, string) TokenInvalid = (400, "The link's token is unknown, used or expired (`token_invalid`): ask for a new link.");

    /// <summary>Answers 429 before the handler runs when the client's address is over the limit.</summary>
    private static Func<EndpointFilterInvocationContext, EndpointFilterDelegate, ValueTask<object?>> PerIp(
        Func<AuthRateLimits, string?, ValueTask<Failure?>> acquire) => async (context, next) =>
    {
        var http = context.HttpContext;
        var limits = http.RequestServices.GetRequiredService<AuthRateLimits>();
        return await acquire(limits, http.Connection.RemoteIpAddress?.ToString()) is { } limited
            ? limited.ToProblem(http)
            : await next(context);
    };

    public static ClientInfo Client(this HttpContext context, string? deviceId = null, string? deviceName = null, string? platform = null) =>
        new(context.Connection.RemoteIpAddress?.ToString(), context.Request.Headers.UserAgent.ToString() is { Length: > 0 } ua ? ua : null,
            deviceId, deviceName, platform);

    private static Results<Ok<object>, NotFound> Captcha(ICaptcha captcha) =>
        captcha.CreateChallenge() is { } challenge ? TypedResults.Ok(challenge) : TypedResults.NotFound();

    private static async Task<Results<Created<RegisterResponse>, ProblemHttpResult>> Register(RegisterRequest request, Accounts accounts, ICaptcha captcha, HttpContext context)
    {
        if (!await captcha.VerifyAsync(request.Captcha, context.Connection.RemoteIpAddress?.ToString(), context.RequestAborted))
        {
            return CaptchaFailed().ToProblem();
        }
        var outcome = await accounts.RegisterAsync(request, context.Client());
        return outcome.Value is { } created
            ? TypedResults.Created($"/api/auth/me", created)
            : outcome.Failure!.ToProblem(context);
    }

    private static async Task<Results<Ok<VerifyEmailResponse>, ProblemHttpResult>> VerifyEmail(VerifyEmailRequest request, Accounts accounts)
    {
        var outcome = await accounts.VerifyEmailAsync(request.Token);
        return outcome.Value is not null ? TypedResults.Ok(new VerifyEmailResponse(true)) : outcome.Failure!.ToProblem();
    }

    private static async Task<Results<Accepted, ProblemHttpResult>> ResendVerification(EmailRequest request, Accounts accounts, HttpContext context) =>
        await accounts.ResendVerificationAsync(request.Email) is { } failure ? failure.ToProblem(context) : TypedResults.Accepted((string?)null);

    private static async Task<Results<Ok<TokenResponse>, ProblemHttpResult>> Login(LoginRequest request, Logins logins, HttpContext context)
    {
        var outcome = await logins.LoginAsync(request, context.Client(request.DeviceId, request.DeviceName, request.Platform));
        return outcome.Value is { } tokens ? TypedResults.Ok(tokens) : outcome.Failure!.ToProblem(context);
    }

    private static async Task<Results<Ok<TokenResponse>, ProblemHttpResult>> Refresh(RefreshRequest request, SessionTokens sessions, AccountStore accounts, HttpContext context)
    {
        var outcome = await sessions.RefreshAsync(request.RefreshToken, accounts);
        return outcome.Value is { } tokens ? TypedResults.Ok(tokens) : outcome.Failure!.ToProblem(context);
    }

    private static async Task<Results<Accepted, ProblemHttpResult>> ForgotPassword(EmailRequest request, Accounts accounts, ICaptcha captcha, HttpContext context)
    {
        if (!await captcha.VerifyAsync(request.Captcha, context.Connection.RemoteIpAddress?.ToString(), context.RequestAborted))
        {
            return CaptchaFailed().ToProblem();
        }
        return await accounts.ForgotPasswordAsync(request.Email, context.Client()) is { } failure
            ? failure.ToProblem(context)
            : TypedResults.Accepted((string?)null);
    }

    private static async Task<Results<Ok<ResetPasswordResponse>, ProblemHttpResult>> ResetPassword(ResetPasswordRequest request, Accounts accounts, HttpContext context)
    {
        // The page that carries the token must not leak it to other sites through the Referer header.
        context.Response.Headers["Referrer-Policy"] = "no-referrer";
        return await accounts.ResetPasswordAsync(request.Token, request.NewPassword, context.Client()) is { } failure
            ? failure.ToProblem()
            : TypedResults.Ok(new ResetPasswordResponse(true));
    }

    private static async Task<NoContent> Logout(ClaimsPrincipal user, SessionTokens sessions, HttpContext context)
    {
        await sessions.RevokeAsync(user.UserId(), user.SessionId(), null, "logout",
            new AuditEvent(AuditEvents.Logout, user.UserId(), context.Connection.RemoteIpAddress?.ToString(), SessionId: user.SessionId()));
        return TypedResults.NoContent();
    }

    private static async Task<NoContent> LogoutAll(ClaimsPrincipal user, SessionTokens sessions, HttpContext context)
    {
        await sessions.RevokeAsync(user.UserId(), null, null, "logout_all",
            new AuditEvent(AuditEvents.LogoutAll, user.UserId(), context.Connection.RemoteIpAddress?.ToString(), SessionId: user.SessionId()));
        return TypedResults.NoContent();
    }

    /// <summary>Active sessions, most recently used first, a page at a time (<c>limit</c> 1–200, default 50; <c>offset</c>); <c>X-Total-Count</c> says how many.</summary>
    private static async Task<Results<Ok<List<SessionInfo>>, ProblemHttpResult>> ListSessions(ClaimsPrincipal user, SessionStore store, TimeProvider time, HttpContext context, int? limit, int? offset)
    {
        if (limit is < 1 or > 200 || offset is < 0)
        {
            return Failure.Validation(new Dictionary<string, string[]> { ["limit"] = ["limit is 1 to 200 and offset 0 or more."] }).ToProblem();
        }
        var (rows, total) = await store.ListActiveAsync(user.UserId(), time.GetUtcNow(), limit ?? 50, offset ?? 0);
        context.Response.Headers["X-Total-Count"] = total.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return TypedResults.Ok(rows.Select(s => new SessionInfo(s.SessionId, s.DeviceId, s.DeviceName, s.Platform, s.UserAgent, s.Ip,
            s.CreatedAt, s.LastSeenAt, s.ExpiresAt, s.SessionId == user.SessionId())).ToList());
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> RevokeSession(string id, ClaimsPrincipal user, SessionTokens sessions, HttpContext context)
    {
        var revoked = await sessions.RevokeAsync(user.UserId(), id, null, "revoked_by_user",
            new AuditEvent(AuditEvents.SessionRevoked, user.UserId(), context.Connection.RemoteIpAddress?.ToString(), SessionId: id));
        // Another user's session, an unknown id and an already revoked one look the same from here.
        return revoked.Count > 0
            ? TypedResults.NoContent()
            : new Failure(404, ErrorCodes.NotFound, "No active session with this id.").ToProblem();
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> ChangePassword(ChangePasswordRequest request, ClaimsPrincipal user, Accounts accounts, HttpContext context) =>
        await accounts.ChangePasswordAsync(user.UserId(), user.SessionId(), request, context.Client()) is { } failure
            ? failure.ToProblem()
            : TypedResults.NoContent();

    private static async Task<Results<Ok<MeResponse>, UnauthorizedHttpResult>> Me(ClaimsPrincipal user, AccountStore accounts, TierService tiers) =>
        await accounts.FindByIdAsync(user.UserId()) is { } row
            ? TypedResults.Ok(new MeResponse(row.UserId, row.Email, row.Name, row.EmailVerified, await tiers.TierAsync(row.UserId, row.EmailVerified), row.CreatedAt))
            : TypedResults.Unauthorized();

    internal static Failure CaptchaFailed() =>
        new(400, AuthErrorCodes.CaptchaFailed, "The CAPTCHA answer is missing, wrong, expired or was already used. Solve it again.");

    /// <summary><c>Cache-Control: no-store</c> (and <c>Pragma: no-cache</c> for HTTP/1.0 caches) on every answer (ASVS 8.1.1).</summary>
    internal static ValueTask<object?> NoStore(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        context.HttpContext.Response.Headers.CacheControl = "no-store";
        context.HttpContext.Response.Headers.Pragma = "no-cache";
        return next(context);
    }
}
