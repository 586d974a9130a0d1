using Microsoft.AspNetCore.Http.HttpResults;
using System.Net;
using Microsoft.AspNetCore.Authentication;
using SqlStudio.Contracts;

namespace SqlStudio.Server.Auth.OAuth;

public sealed record OAuthExchangeRequest(string? Code, string? CodeVerifier);

/// <summary>The <c>oauth</c> routes (docs/oauth-setup.md): start a sign-in (browser or desktop) and exchange a desktop code.</summary>
public static class OAuthApi
{
    public static IEndpointRouteBuilder MapOAuthApi(this IEndpointRouteBuilder endpoints)
    {
        var oauth = endpoints.MapGroup("/api/auth/oauth").WithTags("Auth").AddEndpointFilter(AuthApi.NoStore);
        oauth.MapGet("/{provider}", Start)
            .WithMetadata(new Refusals((400, "A desktop sign-in's redirect_uri is not a loopback address (`invalid_redirect_uri`) or its PKCE challenge is missing (`invalid_code_challenge`)."),
                (404, "This server does not offer that provider (`not_found`).")))
            .WithSummary("Redirects to GitHub or Google; desktop apps add a loopback redirect_uri and a PKCE challenge");
        oauth.MapPost("/exchange", Exchange).WithMetadata(new Refusals((400, "The code is unknown, used, expired, or does not match the verifier (`token_invalid`)."))).WithSummary("Trades a desktop one-time code and its PKCE verifier for tokens");
        return endpoints;
    }

    private static Results<ChallengeHttpResult, ProblemHttpResult> Start(string provider, string? redirect_uri, string? code_challenge, string? code_challenge_method, string? state,
        ExternalProviders providers)
    {
        if (providers.Find(provider) is not { } configured)
        {
            return new Failure(404, ErrorCodes.NotFound, $"Sign-in with '{provider}' is not offered by this server.").ToProblem();
        }
        var properties = new AuthenticationProperties { RedirectUri = "/account" };
        if (redirect_uri is not null)
        {
            if (NormalizedLoopback(redirect_uri) is not { } normalized)
            {
                return new Failure(400, AuthErrorCodes.InvalidRedirectUri,
                    "redirect_uri must be a loopback address: http://127.0.0.1:PORT/..., http://[::1]:PORT/... or http://localhost:PORT/...").ToProblem();
            }
            if (code_challenge_method != "S256" || code_challenge is null || code_challenge.Length != 43)
            {
                return new Failure(400, AuthErrorCodes.InvalidCodeChallenge, "A desktop sign-in needs code_challenge (S256, 43 characters) and code_challenge_method=S256.").ToProblem();
            }
            // Stored and used in its normalised form (what was checked is what is used).
            properties.Items[OAuthSetup.DesktopRedirectItem] = normalized;
            properties.Items[OAuthSetup.DesktopChallengeItem] = code_challenge;
            if (state is { Length: <= 200 })
            {
                properties.Items[OAuthSetup.DesktopStateItem] = state;
            }
        }
        return TypedResults.Challenge(properties, [configured.Scheme]);
    }

    private static async Task<Results<Ok<TokenResponse>, ProblemHttpResult>> Exchange(OAuthExchangeRequest request, ExternalAccounts accounts, HttpContext context)
    {
        var outcome = await accounts.ExchangeAsync(request.Code, request.CodeVerifier, context.Client(platform: "desktop"));
        return outcome.Value is { } tokens ? TypedResults.Ok(tokens) : outcome.Failure!.ToProblem();
    }

    /// <summary>RFC 8252 §7.3: http on a loopback host, any port; nothing else (no other host, no https, no userinfo).</summary>
    public static bool IsLoopback(string redirectUri) => NormalizedLoopback(redirectUri) is not null;

    /// <summary>The redirect as the parser understood it (lower-case scheme and host, dot segments resolved, escaping
    /// made canonical) when it is a loopback redirect; null otherwise.</summary>
    public static string? NormalizedLoopback(string redirectUri) =>
        redirectUri.Length <= 2048 &&
        Uri.TryCreate(redirectUri, UriKind.Absolute, out var uri) &&
        uri.Scheme == Uri.UriSchemeHttp &&
        string.IsNullOrEmpty(uri.UserInfo) &&
        string.IsNullOrEmpty(uri.Fragment) &&
        (uri.Host == "localhost" || (IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip) && (ip.Equals(IPAddress.Loopback) || ip.Equals(IPAddress.IPv6Loopback))))
            ? uri.AbsoluteUri
            : null;
}
