using System.Net.Http.Headers;
using System.Security.Claims;
using System.Text.Json;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Google;
using Microsoft.AspNetCore.Authentication.OAuth;

namespace SqlStudio.Server.Auth.OAuth;

/// <summary>
/// GitHub (ASP.NET Core's generic OAuth handler) and Google (its Google handler), with state and PKCE, every
/// endpoint overridable by configuration. A provider is registered only when its client id and secret are set.
/// </summary>
public static class OAuthSetup
{
    public const string GitHub = "github";
    public const string Google = "google";
    public const string EmailVerifiedClaim = "email_verified";
    internal const string DesktopRedirectItem = "desktop_redirect_uri";
    internal const string DesktopChallengeItem = "desktop_code_challenge";
    internal const string DesktopStateItem = "desktop_state";

    public static WebApplicationBuilder AddExternalSignIn(this WebApplicationBuilder builder, AuthenticationBuilder authentication)
    {
        var github = builder.Configuration.GetSection("OAuth:GitHub").Get<ExternalProviderOptions>() ?? new();
        var google = builder.Configuration.GetSection("OAuth:Google").Get<ExternalProviderOptions>() ?? new();
        var configured = new List<ExternalProvider>();
        if (github.Configured)
        {
            authentication.AddOAuth(GitHub, "GitHub", o => ConfigureGitHub(o, github));
            configured.Add(new ExternalProvider(GitHub, "GitHub"));
        }
        if (google.Configured)
        {
            authentication.AddGoogle(Google, "Google", o => ConfigureGoogle(o, google));
            configured.Add(new ExternalProvider(Google, "Google"));
        }
        builder.Services.AddSingleton(new ExternalProviders(configured));
        builder.Services.AddSingleton<ExternalAccounts>();
        return builder;
    }

    private static void ConfigureGitHub(OAuthOptions o, ExternalProviderOptions options)
    {
        o.ClientId = options.ClientId!;
        o.ClientSecret = options.ClientSecret!;
        o.AuthorizationEndpoint = options.AuthorizationEndpoint ?? "https://github.com/login/oauth/authorize";
        o.TokenEndpoint = options.TokenEndpoint ?? "https://github.com/login/oauth/access_token";
        o.UserInformationEndpoint = options.UserInformationEndpoint ?? "https://api.github.com/user";
        var emailsEndpoint = options.EmailsEndpoint ?? "https://api.github.com/user/emails";
        o.Scope.Add("read:user");
        o.Scope.Add("user:email");
        Common(o, GitHub);
        o.Events.OnCreatingTicket = async context =>
        {
            var user = await GetJsonAsync(context, context.Options.UserInformationEndpoint);
            var emails = await GetJsonAsync(context, emailsEndpoint);
            // The primary address, with GitHub's word on whether it is verified (a verified no-reply address is
            // not the person's address: it must not stand in for an unverified primary).
            var all = emails.ValueKind == JsonValueKind.Array ? emails.EnumerateArray().ToList() : [];
            var chosen = all.FirstOrDefault(e => Bool(e, "primary"));
            var identity = context.Identity!;
            identity.AddClaim(new Claim(ClaimTypes.NameIdentifier, user.GetProperty("id").ToString()));
            var name = Text(user, "name") ?? Text(user, "login");
            if (name is not null)
            {
                identity.AddClaim(new Claim(ClaimTypes.Name, name));
            }
            var email = chosen.ValueKind == JsonValueKind.Object ? Text(chosen, "email") : null;
            if (email is not null)
            {
                identity.AddClaim(new Claim(ClaimTypes.Email, email));
                identity.AddClaim(new Claim(EmailVerifiedClaim, Bool(chosen, "verified") ? "true" : "false"));
            }
        };
    }

    private static void ConfigureGoogle(GoogleOptions o, ExternalProviderOptions options)
    {
        o.ClientId = options.ClientId!;
        o.ClientSecret = options.ClientSecret!;
        o.AuthorizationEndpoint = options.AuthorizationEndpoint ?? GoogleDefaults.AuthorizationEndpoint;
        o.TokenEndpoint = options.TokenEndpoint ?? GoogleDefaults.TokenEndpoint;
        o.UserInformationEndpoint = options.UserInformationEndpoint ?? GoogleDefaults.UserInformationEndpoint;
        o.ClaimActions.MapCustomJson(EmailVerifiedClaim, json =>
            json.TryGetProperty("email_verified", out var v) && (v.ValueKind == JsonValueKind.True || v.ToString() == "true") ? "true" : "false");
        Common(o, Google);
    }

    private static void Common(OAuthOptions o, string provider)
    {
        o.CallbackPath = $"/api/auth/oauth/callback/{provider}";
        o.UsePkce = true;
        o.SaveTokens = false;
        o.SignInScheme = AuthExtensions.CookieScheme;
        // The provider sends the browser back with a top-level GET, which Lax cookies survive; None would need HTTPS.
        o.CorrelationCookie.SameSite = SameSiteMode.Lax;
        o.CorrelationCookie.HttpOnly = true;
        o.CorrelationCookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
        o.Events.OnTicketReceived = OAuthCallbacks.CompleteAsync;
        o.Events.OnRemoteFailure = OAuthCallbacks.FailAsync;
        o.Events.OnAccessDenied = OAuthCallbacks.DeniedAsync;
    }

    private static async Task<JsonElement> GetJsonAsync(OAuthCreatingTicketContext context, string url)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", context.AccessToken);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/vnd.github+json"));
        request.Headers.UserAgent.Add(new ProductInfoHeaderValue("SqlStudioCloud", "1.0"));
        using var response = await context.Backchannel.SendAsync(request, context.HttpContext.RequestAborted);
        response.EnsureSuccessStatusCode();
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync(context.HttpContext.RequestAborted)).RootElement.Clone();
    }

    private static bool Bool(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.True;

    private static string? Text(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String && v.GetString() is { Length: > 0 } s ? s : null;
}
