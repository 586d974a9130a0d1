using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using SqlStudio.Server.Auth.Captcha;
using SqlStudio.Server.Auth.OAuth;
using SqlStudio.Server.Billing;

namespace SqlStudio.Server.Auth;

public static class AuthExtensions
{
    /// <summary>API endpoints: bearer access tokens only (cookies never authorize an API call, so no CSRF).</summary>
    public const string ApiPolicy = "api";

    /// <summary>A bearer token or the page cookie: for reads a signed-in page links to (the account export).</summary>
    public const string ApiOrPagePolicy = "api-or-page";

    /// <summary>Pages: the cookie session.</summary>
    public const string PagePolicy = "page";

    public const string CookieScheme = CookieAuthenticationDefaults.AuthenticationScheme;

    private const string DefaultScheme = "bearer-or-cookie";

    public static WebApplicationBuilder AddAuth(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        var configuration = builder.Configuration;
        services.AddSettings<AppOptions>(configuration, AppOptions.Section);
        services.AddSettings<AuthOptions>(configuration, AuthOptions.Section);
        services.AddSettings<CaptchaOptions>(configuration, CaptchaOptions.Section);
        services.AddSettings<RateLimitOptions>(configuration, RateLimitOptions.Section);

        services.AddMemoryCache();
        services.AddSingleton<SigningKeys>();
        services.AddSingleton<AccessTokens>();
        services.AddSingleton<Passwords>();
        services.AddSingleton<SessionStore>();
        services.AddSingleton<AccountStore>();
        services.AddSingleton<SessionValidator>();
        services.AddSingleton<AccountMail>();
        services.AddSingleton<AuthRateLimits>();
        // After the migrations (registered before this): the key rings are loaded, or started, while nothing else writes.
        services.AddHostedService<KeyRingStartup>();
        services.AddSingleton<SessionTokens>();
        services.AddSingleton<Logins>();
        services.AddSingleton<Accounts>();
        services.AddSingleton<WebSessions>();
        AddCaptcha(services);

        // The Data Protection keys (cookies, antiforgery) live in the database, shared by every instance; a folder only
        // when DataProtection:KeysPath names one.
        var dataProtection = services.AddDataProtection().SetApplicationName("SqlStudio.Server");
        if (configuration["DataProtection:KeysPath"] is { Length: > 0 } keysPath)
        {
            dataProtection.PersistKeysToFileSystem(new DirectoryInfo(Path.GetFullPath(keysPath)));
        }
        else
        {
            services.AddOptions<Microsoft.AspNetCore.DataProtection.KeyManagement.KeyManagementOptions>()
                .Configure<Data.Db>((o, db) => o.XmlRepository = new DatabaseKeyRepository(db));
        }

        // Requests with a bearer token are API calls; everything else is a browser with (maybe) a cookie.
        var authentication = services.AddAuthentication(DefaultScheme);
        authentication
            .AddPolicyScheme(DefaultScheme, "Bearer or cookie", o => o.ForwardDefaultSelector = context =>
                context.Request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
                    ? JwtBearerDefaults.AuthenticationScheme
                    : CookieScheme)
            .AddJwtBearer(o =>
            {
                o.MapInboundClaims = false;
                o.Events = new JwtBearerEvents { OnTokenValidated = RejectEndedSessionAsync };
            })
            .AddCookie(CookieScheme, o =>
            {
                o.Cookie.Name = "sqlstudio_session";
                o.Cookie.HttpOnly = true;
                o.Cookie.SameSite = SameSiteMode.Lax;
                o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                o.LoginPath = "/login";
                o.AccessDeniedPath = "/login";
                o.SlidingExpiration = true;
                o.Events.OnValidatePrincipal = RejectEndedCookieSessionAsync;
                // An API route that also takes the cookie (the export) answers 401, never a redirect to the login page.
                o.Events.OnRedirectToLogin = context =>
                {
                    if (context.Request.Path.StartsWithSegments("/api"))
                    {
                        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                    }
                    else
                    {
                        context.Response.Redirect(context.RedirectUri);
                    }
                    return Task.CompletedTask;
                };
            });
        builder.AddExternalSignIn(authentication);
        services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
            .Configure<AccessTokens>((o, tokens) => o.TokenValidationParameters = tokens.ValidationParameters());
        services.AddOptions<CookieAuthenticationOptions>(CookieScheme)
            .Configure<AuthOptions>((o, auth) => o.ExpireTimeSpan = auth.RefreshTokenLifetime);

        services.AddAuthorizationBuilder()
            .AddPolicy(ApiPolicy, p => p.AddAuthenticationSchemes(JwtBearerDefaults.AuthenticationScheme).RequireAuthenticatedUser())
            .AddPolicy(PagePolicy, p => p.AddAuthenticationSchemes(CookieScheme).RequireAuthenticatedUser())
            .AddPolicy(ApiOrPagePolicy, p => p.AddAuthenticationSchemes(JwtBearerDefaults.AuthenticationScheme, CookieScheme).RequireAuthenticatedUser());
        return builder;
    }

    private static void AddCaptcha(IServiceCollection services)
    {
        services.AddHttpClient<TurnstileCaptcha>();
        services.AddSingleton<ICaptcha>(sp =>
        {
            var options = sp.GetRequiredService<CaptchaOptions>();
            return options.Provider.ToLowerInvariant() switch
            {
                "altcha" => ActivatorUtilities.CreateInstance<AltchaCaptcha>(sp, options.Altcha),
                "turnstile" => ActivatorUtilities.CreateInstance<TurnstileCaptcha>(sp,
                    sp.GetRequiredService<IHttpClientFactory>().CreateClient(nameof(TurnstileCaptcha)), options.Turnstile),
                "none" => new NoCaptcha(),
                var other => throw new InvalidOperationException($"Captcha:Provider '{other}' is not known; use altcha, turnstile or none."),
            };
        });
    }

    /// <summary>Whether the session a token or a cookie names (its sid and sub) is still active.</summary>
    private static async Task<bool> SessionIsActiveAsync(ClaimsPrincipal principal, HttpContext context) =>
        principal.FindFirstValue(JwtRegisteredClaimNames.Sid) is { } sid &&
        principal.FindFirstValue(JwtRegisteredClaimNames.Sub) is { } sub &&
        await context.RequestServices.GetRequiredService<SessionValidator>().IsActiveAsync(sid, sub);

    private static async Task RejectEndedSessionAsync(TokenValidatedContext context)
    {
        if (!await SessionIsActiveAsync(context.Principal!, context.HttpContext))
        {
            context.Fail("The session of this token has ended.");
        }
    }

    private static async Task RejectEndedCookieSessionAsync(CookieValidatePrincipalContext context)
    {
        if (!await SessionIsActiveAsync(context.Principal!, context.HttpContext))
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(CookieScheme);
        }
    }
}
