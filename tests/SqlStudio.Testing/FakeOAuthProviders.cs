using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace SqlStudio.Testing;

/// <summary>An account at the fake provider: what GitHub's /user + /user/emails or Google's userinfo will say.</summary>
public sealed record FakeAccount(string Id, string Login, string? Name, string Email, bool EmailVerified = true);

/// <summary>
/// GitHub and Google as seen from our server, on loopback, speaking their documented shapes: the authorize
/// redirect (with state and PKCE), the token endpoint (form post, JSON answer), GitHub's <c>/user</c> and
/// <c>/user/emails</c>, Google's userinfo. The "person at the consent screen" is <see cref="Next"/>: the account
/// that approves, or null to deny.
/// </summary>
public sealed class FakeOAuthProviders : IAsyncDisposable
{
    public const string ClientId = "test-client-id";
    public const string ClientSecret = "test-client-secret";

    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, (FakeAccount Account, string RedirectUri, string Challenge)> _codes = new();
    private readonly ConcurrentDictionary<string, FakeAccount> _tokens = new();

    private FakeOAuthProviders(WebApplication app) => _app = app;

    /// <summary>Who approves the next consent screen; null denies it.</summary>
    public FakeAccount? Next { get; set; } = new("1", "octocat", "Mona Lisa", "mona@example.com");

    /// <summary>Every authorize request received, for assertions on state and PKCE.</summary>
    public ConcurrentQueue<IQueryCollection> AuthorizeRequests { get; } = new();

    public string BaseUrl { get; private set; } = "";

    public static async Task<FakeOAuthProviders> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        var app = builder.Build();
        var fake = new FakeOAuthProviders(app);
        app.MapGet("/github/login/oauth/authorize", fake.Authorize);
        app.MapPost("/github/login/oauth/access_token", fake.TokenAsync);
        app.MapGet("/github/user", (HttpRequest r) => fake.WithAccount(r, a => Results.Json(new { login = a.Login, id = long.Parse(a.Id), name = a.Name, email = (string?)null })));
        app.MapGet("/github/user/emails", (HttpRequest r) => fake.WithAccount(r, a => Results.Json(new object[]
        {
            new { email = $"{a.Login}@users.noreply.github.com", primary = false, verified = true, visibility = (string?)null },
            new { email = a.Email, primary = true, verified = a.EmailVerified, visibility = "private" },
        })));
        app.MapGet("/google/o/oauth2/v2/auth", fake.Authorize);
        app.MapPost("/google/token", fake.TokenAsync);
        app.MapGet("/google/v3/userinfo", (HttpRequest r) => fake.WithAccount(r, a => Results.Json(new
        {
            sub = a.Id, name = a.Name, given_name = a.Name?.Split(' ')[0], email = a.Email, email_verified = a.EmailVerified, locale = "en",
        })));
        await app.StartAsync();
        fake.BaseUrl = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return fake;
    }

    /// <summary>The server settings that point both providers here.</summary>
    public void Configure(TestServerOptions options)
    {
        foreach (var (name, prefix, auth, token, user) in new[]
                 {
                     ("GitHub", "github", "/login/oauth/authorize", "/login/oauth/access_token", "/user"),
                     ("Google", "google", "/o/oauth2/v2/auth", "/token", "/v3/userinfo"),
                 })
        {
            options.Settings[$"OAuth:{name}:ClientId"] = ClientId;
            options.Settings[$"OAuth:{name}:ClientSecret"] = ClientSecret;
            options.Settings[$"OAuth:{name}:AuthorizationEndpoint"] = $"{BaseUrl}/{prefix}{auth}";
            options.Settings[$"OAuth:{name}:TokenEndpoint"] = $"{BaseUrl}/{prefix}{token}";
            options.Settings[$"OAuth:{name}:UserInformationEndpoint"] = $"{BaseUrl}/{prefix}{user}";
        }
        options.Settings["OAuth:GitHub:EmailsEndpoint"] = $"{BaseUrl}/github/user/emails";
    }

    private IResult Authorize(HttpRequest request)
    {
        var q = request.Query;
        AuthorizeRequests.Enqueue(q);
        if (q["client_id"] != ClientId || string.IsNullOrEmpty(q["redirect_uri"]) || string.IsNullOrEmpty(q["state"]))
        {
            return Results.BadRequest(new { error = "invalid_request" });
        }
        var redirect = q["redirect_uri"].ToString();
        if (Next is not { } account)
        {
            return Results.Redirect(QueryHelpers.AddQueryString(redirect, new Dictionary<string, string?>
            {
                ["error"] = "access_denied", ["error_description"] = "The user has denied your application access.", ["state"] = q["state"],
            }));
        }
        var code = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(10));
        _codes[code] = (account, redirect, q["code_challenge"].ToString());
        return Results.Redirect(QueryHelpers.AddQueryString(redirect, new Dictionary<string, string?> { ["code"] = code, ["state"] = q["state"] }));
    }

    private async Task<IResult> TokenAsync(HttpRequest request)
    {
        var form = await request.ReadFormAsync();
        if (form["client_id"] != ClientId || form["client_secret"] != ClientSecret ||
            !_codes.TryRemove(form["code"].ToString(), out var grant) || grant.RedirectUri != form["redirect_uri"])
        {
            return Results.Json(new { error = "bad_verification_code", error_description = "The code passed is incorrect or expired." }, statusCode: 400);
        }
        // PKCE (RFC 7636): the verifier must hash to the challenge the authorize request carried.
        var verifier = form["code_verifier"].ToString();
        var expected = WebEncoders.Base64UrlEncode(SHA256.HashData(Encoding.ASCII.GetBytes(verifier)));
        if (grant.Challenge.Length == 0 || expected != grant.Challenge)
        {
            return Results.Json(new { error = "invalid_grant", error_description = "PKCE verification failed." }, statusCode: 400);
        }
        var token = "tok_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        _tokens[token] = grant.Account;
        return Results.Json(new { access_token = token, token_type = "bearer", scope = "read:user,user:email", expires_in = 3599 });
    }

    private IResult WithAccount(HttpRequest request, Func<FakeAccount, IResult> answer)
    {
        var header = request.Headers.Authorization.ToString();
        var token = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header[7..] : header.Replace("token ", "");
        return _tokens.TryGetValue(token, out var account) ? answer(account) : Results.Json(new { message = "Bad credentials" }, statusCode: 401);
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
