using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.WebUtilities;

namespace SqlStudio.Server.Auth.OAuth;

/// <summary>
/// What happens when the provider sends the browser back: the account is resolved, then either a cookie session
/// starts (browser) or a one-time code goes to the desktop app's loopback address. Failures land on /login with
/// a readable message, or on the loopback address as <c>error=</c>.
/// </summary>
internal static class OAuthCallbacks
{
    public static async Task CompleteAsync(TicketReceivedContext context)
    {
        context.HandleResponse();
        var http = context.HttpContext;
        var provider = context.Scheme.Name;
        var principal = context.Principal!;
        var identity = new ExternalIdentity(
            provider,
            principal.FindFirstValue(ClaimTypes.NameIdentifier) ?? "",
            principal.FindFirstValue(ClaimTypes.Email),
            principal.FindFirstValue(OAuthSetup.EmailVerifiedClaim) == "true",
            principal.FindFirstValue(ClaimTypes.Name));
        var items = context.Properties?.Items ?? new Dictionary<string, string?>();
        items.TryGetValue(OAuthSetup.DesktopRedirectItem, out var desktopRedirect);

        if (identity.ProviderUserId.Length == 0)
        {
            Fail(http, provider, desktopRedirect, items, "provider_error", "The provider did not say who signed in.");
            return;
        }
        var accounts = http.RequestServices.GetRequiredService<ExternalAccounts>();
        var outcome = await accounts.ResolveAsync(identity, http.Client(platform: desktopRedirect is null ? "web" : "desktop"));
        if (outcome.Value is not { } user)
        {
            Fail(http, provider, desktopRedirect, items, outcome.Failure!.Code, outcome.Failure.Detail);
            return;
        }
        if (desktopRedirect is not null)
        {
            var code = await accounts.IssueCodeAsync(user.UserId, provider, items[OAuthSetup.DesktopChallengeItem]!, desktopRedirect);
            http.Response.Redirect(QueryHelpers.AddQueryString(desktopRedirect, WithState(items, new() { ["code"] = code })));
            return;
        }
        await http.RequestServices.GetRequiredService<WebSessions>().SignInAsync(http, user, rememberMe: false);
        http.Response.Redirect("/account");
    }

    public static Task DeniedAsync(AccessDeniedContext context)
    {
        context.HandleResponse();
        var items = context.Properties?.Items ?? new Dictionary<string, string?>();
        items.TryGetValue(OAuthSetup.DesktopRedirectItem, out var desktopRedirect);
        Fail(context.HttpContext, context.Scheme.Name, desktopRedirect, items, "access_denied",
            $"You declined to share your {ExternalAccounts.Display(context.Scheme.Name)} account, so you are not signed in.");
        return Task.CompletedTask;
    }

    public static Task FailAsync(RemoteFailureContext context)
    {
        context.HandleResponse();
        // A failed state check means the properties (and any desktop address in them) cannot be trusted.
        var items = context.Properties?.Items ?? new Dictionary<string, string?>();
        items.TryGetValue(OAuthSetup.DesktopRedirectItem, out var desktopRedirect);
        var logger = context.HttpContext.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("SqlStudio.Server.Auth.OAuth");
        logger.LogWarning("Sign-in with {Provider} failed: {Reason}", context.Scheme.Name, context.Failure?.Message);
        Fail(context.HttpContext, context.Scheme.Name, desktopRedirect, items, "oauth_failed",
            $"Sign-in with {ExternalAccounts.Display(context.Scheme.Name)} did not complete (the request expired, was tampered with, or the provider reported an error). Try again.");
        return Task.CompletedTask;
    }

    // The browser gets only a code: /login words it, so nobody can put their own text on our page through a link.
    private static void Fail(HttpContext http, string provider, string? desktopRedirect, IDictionary<string, string?> items, string code, string message)
    {
        var target = desktopRedirect is not null
            ? QueryHelpers.AddQueryString(desktopRedirect, WithState(items, new() { ["error"] = code, ["error_description"] = message }))
            : QueryHelpers.AddQueryString("/login", new Dictionary<string, string?> { ["error"] = code, ["provider"] = provider });
        http.Response.Redirect(target);
    }

    private static Dictionary<string, string?> WithState(IDictionary<string, string?> items, Dictionary<string, string?> query)
    {
        if (items.TryGetValue(OAuthSetup.DesktopStateItem, out var state) && state is not null)
        {
            query["state"] = state;
        }
        return query;
    }
}
