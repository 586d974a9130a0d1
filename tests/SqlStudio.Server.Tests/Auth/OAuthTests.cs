using System.Net;
using System.Security.Cryptography;
using Dapper;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Data.Sqlite;
using SqlStudio.Contracts;
using SqlStudio.Server.Auth.OAuth;
using SqlStudio.Testing;

namespace SqlStudio.Server.Tests.Auth;

public sealed class OAuthFixture : IAsyncLifetime
{
    public FakeOAuthProviders Providers { get; private set; } = null!;
    public TestServer Server { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Providers = await FakeOAuthProviders.StartAsync();
        Server = await TestServer.StartAsync(Providers.Configure);
    }

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        await Providers.DisposeAsync();
    }
}

/// <summary>Sign-in with GitHub and Google against loopback fakes of both, in the browser and desktop flows.</summary>
public sealed class OAuthTests(OAuthFixture fixture) : IClassFixture<OAuthFixture>
{
    private TestServer Server => fixture.Server;

    [Theory]
    [InlineData("github")]
    [InlineData("google")]
    public async Task BrowserFlow_NewUser_CreatesVerifiedAccountAndCookieSession(string provider)
    {
        var account = NewAccount();
        fixture.Providers.Next = account;
        using var browser = Server.CreateClient();

        var landed = await FollowAsync(browser, new Uri(Server.BaseAddress, $"/api/auth/oauth/{provider}"));

        Assert.Equal("/account", landed.AbsolutePath);
        var page = await browser.GetStringAsync("/account");
        Assert.Contains(account.Email, page);
        Assert.Contains(ExternalAccounts.Display(provider), page);
        var authorize = fixture.Providers.AuthorizeRequests.Last();
        Assert.Equal("S256", authorize["code_challenge_method"]);
        Assert.False(string.IsNullOrEmpty(authorize["state"]));
        var user = await UserAsync(account.Email);
        Assert.NotNull(user.EmailVerifiedAt);
        Assert.Null(user.PasswordHash);
    }

    [Fact]
    public async Task BrowserFlow_KnownExternalLogin_SignsInSameUser()
    {
        var account = NewAccount();
        fixture.Providers.Next = account;
        using var first = Server.CreateClient();
        await FollowAsync(first, new Uri(Server.BaseAddress, "/api/auth/oauth/github"));

        // Same GitHub id, email since changed at GitHub: still the same account.
        fixture.Providers.Next = account with { Email = $"changed-{account.Email}" };
        using var second = Server.CreateClient();
        var landed = await FollowAsync(second, new Uri(Server.BaseAddress, "/api/auth/oauth/github"));

        Assert.Equal("/account", landed.AbsolutePath);
        Assert.Contains(account.Email, await second.GetStringAsync("/account"));
        Assert.Equal(1L, await CountAsync("SELECT count(*) FROM users WHERE email LIKE '%' || @e", new { e = account.Email }));
    }

    [Fact]
    public async Task BrowserFlow_VerifiedEmailOfExistingAccount_LinksAndTellsOwner()
    {
        var email = AuthClient.NewEmail("link");
        var api = new AuthClient(Server);
        var userId = await api.RegisterAsync(email);
        fixture.Providers.Next = NewAccount() with { Email = email };
        using var browser = Server.CreateClient();

        var landed = await FollowAsync(browser, new Uri(Server.BaseAddress, "/api/auth/oauth/github"));

        Assert.Equal("/account", landed.AbsolutePath);
        Assert.Equal(1L, await CountAsync("SELECT count(*) FROM external_logins WHERE user_id = @userId AND provider = 'github'", new { userId }));
        var mail = await Server.Mailbox.WaitForAsync(email, "GitHub sign-in was added");
        Assert.Contains("same verified email", mail.TextBody);
        Assert.NotNull(await api.LoginAsync(email));
        Assert.NotNull((await UserAsync(email)).EmailVerifiedAt);
    }

    [Fact]
    public async Task BrowserFlow_UnverifiedEmailOfExistingAccount_NeitherLinksNorSignsIn()
    {
        var email = AuthClient.NewEmail("nolink");
        var userId = await new AuthClient(Server).RegisterAsync(email);
        fixture.Providers.Next = NewAccount() with { Email = email, EmailVerified = false };
        using var browser = Server.CreateClient();

        var landed = await FollowAsync(browser, new Uri(Server.BaseAddress, "/api/auth/oauth/github"));

        Assert.Equal("/login", landed.AbsolutePath);
        Assert.Equal("external_login_refused", QueryHelpers.ParseQuery(landed.Query)["error"]);
        Assert.Equal(0L, await CountAsync("SELECT count(*) FROM external_logins WHERE user_id = @userId", new { userId }));
        var account = await browser.GetAsync("/account");
        Assert.Equal(HttpStatusCode.Redirect, account.StatusCode);
        Assert.Contains("not verified", await browser.GetStringAsync(landed.PathAndQuery));
    }

    [Fact]
    public async Task BrowserFlow_TamperedState_IsRefused()
    {
        fixture.Providers.Next = NewAccount();
        using var browser = Server.CreateClient();

        var landed = await FollowAsync(browser, new Uri(Server.BaseAddress, "/api/auth/oauth/github"),
            tamper: uri => uri.AbsolutePath.EndsWith("/authorize")
                ? new Uri(uri.ToString().Replace("state=", "state=x"))
                : uri);

        Assert.Equal("/login", landed.AbsolutePath);
        Assert.Equal("oauth_failed", QueryHelpers.ParseQuery(landed.Query)["error"]);
        Assert.Equal(HttpStatusCode.Redirect, (await browser.GetAsync("/account")).StatusCode);
    }

    [Fact]
    public async Task BrowserFlow_DeniedConsent_LandsOnLoginWithMessage()
    {
        fixture.Providers.Next = null;
        using var browser = Server.CreateClient();

        var landed = await FollowAsync(browser, new Uri(Server.BaseAddress, "/api/auth/oauth/google"));

        Assert.Equal("/login", landed.AbsolutePath);
        Assert.Contains("You declined to share your Google account", await browser.GetStringAsync(landed.PathAndQuery));
    }

    [Fact]
    public async Task DesktopFlow_LoopbackCodeExchangedOnceWithVerifier()
    {
        var account = NewAccount();
        fixture.Providers.Next = account;
        var (verifier, challenge) = Pkce();
        using var browser = Server.CreateClient();
        const string loopback = "http://127.0.0.1:53682/callback";

        var landed = await FollowAsync(browser, new Uri(Server.BaseAddress,
            $"/api/auth/oauth/github?redirect_uri={Uri.EscapeDataString(loopback)}&code_challenge={challenge}&code_challenge_method=S256&state=app-state-1"),
            stopAt: uri => uri.Port == 53682);
        var query = QueryHelpers.ParseQuery(landed.Query);

        Assert.Equal("/callback", landed.AbsolutePath);
        Assert.Equal("app-state-1", query["state"]);
        var api = new AuthClient(Server);
        var exchange = await api.PostAsync("/api/auth/oauth/exchange", new { code = query["code"].ToString(), code_verifier = verifier });
        Assert.Equal(HttpStatusCode.OK, exchange.StatusCode);
        var tokens = await api.ReadAsync<TokenResponse>(exchange);
        Assert.Equal(account.Email, tokens.User.Email);
        Assert.Equal(HttpStatusCode.OK, (await api.SendAsync(HttpMethod.Get, "/api/auth/me", tokens.AccessToken)).StatusCode);
        // The browser got no session: the desktop app did.
        Assert.Equal(HttpStatusCode.Redirect, (await browser.GetAsync("/account")).StatusCode);

        var reused = await api.PostAsync("/api/auth/oauth/exchange", new { code = query["code"].ToString(), code_verifier = verifier });
        Assert.Equal(HttpStatusCode.BadRequest, reused.StatusCode);
        Assert.Equal("token_invalid", (await AuthClient.ProblemAsync(reused)).GetProperty("code").GetString());
    }

    [Fact]
    public async Task DesktopFlow_RedirectUri_IsUsedInItsNormalisedForm()
    {
        fixture.Providers.Next = NewAccount();
        var (_, challenge) = Pkce();
        using var browser = Server.CreateClient();
        const string raw = "HTTP://LOCALHOST:40001/app/../callback?from=%7e";

        var locations = new List<string>();
        await FollowAsync(browser, new Uri(Server.BaseAddress,
            $"/api/auth/oauth/google?redirect_uri={Uri.EscapeDataString(raw)}&code_challenge={challenge}&code_challenge_method=S256"),
            stopAt: uri => uri.Port == 40001, locations: locations);

        // What was checked is what is used: the server's redirect to the app is the parsed, canonical form, not the raw text.
        Assert.StartsWith("http://localhost:40001/callback?from=~", locations[^1]);
    }

    [Fact]
    public async Task DesktopFlow_WrongVerifier_IsRefusedAndBurnsTheCode()
    {
        fixture.Providers.Next = NewAccount();
        var (verifier, challenge) = Pkce();
        using var browser = Server.CreateClient();
        var landed = await FollowAsync(browser, new Uri(Server.BaseAddress,
            $"/api/auth/oauth/google?redirect_uri={Uri.EscapeDataString("http://localhost:40000/")}&code_challenge={challenge}&code_challenge_method=S256"),
            stopAt: uri => uri.Port == 40000);
        var code = QueryHelpers.ParseQuery(landed.Query)["code"].ToString();
        var api = new AuthClient(Server);

        var wrong = await api.PostAsync("/api/auth/oauth/exchange", new { code, code_verifier = Pkce().Verifier });
        var right = await api.PostAsync("/api/auth/oauth/exchange", new { code, code_verifier = verifier });

        Assert.Equal(HttpStatusCode.BadRequest, wrong.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, right.StatusCode);
    }

    [Fact]
    public async Task DesktopFlow_Denied_RedirectsToLoopbackWithError()
    {
        fixture.Providers.Next = null;
        var (_, challenge) = Pkce();
        using var browser = Server.CreateClient();

        var landed = await FollowAsync(browser, new Uri(Server.BaseAddress,
            $"/api/auth/oauth/github?redirect_uri={Uri.EscapeDataString("http://[::1]:41000/cb")}&code_challenge={challenge}&code_challenge_method=S256&state=s1"),
            stopAt: uri => uri.Port == 41000);

        var query = QueryHelpers.ParseQuery(landed.Query);
        Assert.Equal("access_denied", query["error"]);
        Assert.Equal("s1", query["state"]);
        Assert.False(query.ContainsKey("code"));
    }

    [Theory]
    [InlineData("https://evil.example/callback")]
    [InlineData("http://evil.example:8080/callback")]
    [InlineData("https://127.0.0.1:5000/callback")]
    [InlineData("http://user@127.0.0.1:5000/callback")]
    [InlineData("http://127.0.0.1.evil.example/callback")]
    [InlineData("sqlstudio://callback")]
    public async Task DesktopFlow_NonLoopbackRedirect_Returns400(string redirectUri)
    {
        var (_, challenge) = Pkce();
        using var browser = Server.CreateClient();

        var response = await browser.GetAsync($"/api/auth/oauth/github?redirect_uri={Uri.EscapeDataString(redirectUri)}&code_challenge={challenge}&code_challenge_method=S256");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("invalid_redirect_uri", (await AuthClient.ProblemAsync(response)).GetProperty("code").GetString());
    }

    [Fact]
    public async Task DesktopFlow_MissingChallenge_Returns400()
    {
        using var browser = Server.CreateClient();

        var response = await browser.GetAsync($"/api/auth/oauth/github?redirect_uri={Uri.EscapeDataString("http://127.0.0.1:5000/cb")}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Unlink_OnlyWhileAnotherWayToSignInRemains()
    {
        var account = NewAccount();
        fixture.Providers.Next = account;
        using var browser = Server.CreateClient();
        await FollowAsync(browser, new Uri(Server.BaseAddress, "/api/auth/oauth/github"));
        var accounts = (ExternalAccounts)Server.Services.GetService(typeof(ExternalAccounts))!;
        var userId = (await UserAsync(account.Email)).UserId;

        var refused = await accounts.UnlinkAsync(userId, "github");

        Assert.Equal("last_sign_in_method", refused?.Code);
        fixture.Providers.Next = account with { Id = account.Id + "9" };
        using var google = Server.CreateClient();
        await FollowAsync(google, new Uri(Server.BaseAddress, "/api/auth/oauth/google"));
        Assert.Null(await accounts.UnlinkAsync(userId, "github"));
        Assert.Equal(1L, await CountAsync("SELECT count(*) FROM external_logins WHERE user_id = @userId", new { userId }));
    }

    [Fact]
    public async Task Start_UnconfiguredProvider_Returns404()
    {
        await using var plain = await TestServer.StartAsync();

        var response = await plain.Client.GetAsync("/api/auth/oauth/github");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.DoesNotContain("Continue with", await plain.Client.GetStringAsync("/login"));
    }

    [Fact]
    public async Task LoginPage_ShowsConfiguredProviders()
    {
        var html = await Server.Client.GetStringAsync("/login");

        Assert.Contains("Continue with GitHub", html);
        Assert.Contains("Continue with Google", html);
    }

    private static FakeAccount NewAccount()
    {
        var id = RandomNumberGenerator.GetInt32(1, int.MaxValue).ToString();
        return new FakeAccount(id, $"dev{id}", $"Dev {id}", AuthClient.NewEmail("oauth"));
    }

    private static (string Verifier, string Challenge) Pkce()
    {
        var verifier = WebEncoders.Base64UrlEncode(RandomNumberGenerator.GetBytes(32));
        return (verifier, ExternalAccounts.Challenge(verifier));
    }

    /// <summary>Follows redirects like a browser, across our server and the fake providers.</summary>
    private static async Task<Uri> FollowAsync(HttpClient browser, Uri start, Func<Uri, bool>? stopAt = null, Func<Uri, Uri>? tamper = null,
        List<string>? locations = null)
    {
        var url = start;
        for (var hop = 0; hop < 12; hop++)
        {
            if (stopAt?.Invoke(url) == true)
            {
                return url;
            }
            using var response = await browser.GetAsync(url);
            if ((int)response.StatusCode is < 300 or >= 400)
            {
                return url;
            }
            locations?.Add(response.Headers.Location!.OriginalString);
            url = new Uri(url, response.Headers.Location!);
            url = tamper?.Invoke(url) ?? url;
        }
        throw new InvalidOperationException("Too many redirects.");
    }

    private async Task<SqlStudio.Server.Auth.UserRow> UserAsync(string email) =>
        (await ((SqlStudio.Server.Auth.AccountStore)Server.Services.GetService(typeof(SqlStudio.Server.Auth.AccountStore))!).FindByEmailAsync(email))!;

    private async Task<long> CountAsync(string sql, object args)
    {
        await using var connection = new SqliteConnection($"Data Source={Server.DatabasePath};Pooling=False");
        return await connection.ExecuteScalarAsync<long>(sql, args);
    }
}
