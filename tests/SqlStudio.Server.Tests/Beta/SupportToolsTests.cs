using System.Net;
using Microsoft.Extensions.DependencyInjection;
using SqlStudio.Server.Auth;
using SqlStudio.Server.Beta;
using SqlStudio.Testing;

namespace SqlStudio.Server.Tests.Beta;

/// <summary>The admin view's support actions: disabling stops the account at once, re-enabling lets it back, all audited.</summary>
public sealed class SupportToolsTests(TimedServerFixture fixture) : IClassFixture<TimedServerFixture>
{
    [Fact]
    public async Task Disable_StopsTokensAtOnce_AndSignIn_ReEnable_LetsItBack_EveryActionAudited()
    {
        var user = await SyncClient.NewUserAsync(fixture.Server);
        var support = fixture.Server.Services.GetRequiredService<SupportTools>();
        var api = new AuthClient(fixture.Server);

        await support.SetDisabledAsync("admin@sqlstudio.test", user.Tokens.User.UserId, disabled: true);
        var afterDisable = await user.Http.GetAsync("/api/auth/me");
        var login = await api.PostAsync("/api/auth/login", new { email = user.Tokens.User.Email, password = AuthClient.Password });
        var found = await support.FindAsync(user.Tokens.User.Email.ToUpperInvariant());
        await support.SetDisabledAsync("admin@sqlstudio.test", user.Tokens.User.UserId, disabled: false);
        var again = await api.LoginAsync(user.Tokens.User.Email);

        Assert.Equal(HttpStatusCode.Unauthorized, afterDisable.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, login.StatusCode);
        Assert.NotNull(found!.User.DisabledAt);
        Assert.Equal(0, found.SessionCount);
        Assert.NotNull(again.AccessToken);
        var events = await fixture.Server.Services.GetRequiredService<AccountStore>().RecentEventsAsync(user.Tokens.User.UserId);
        Assert.Contains(events, e => e.Event == "support_action" && e.Detail == "admin@sqlstudio.test disabled the account");
        Assert.Contains(events, e => e.Event == "support_action" && e.Detail == "admin@sqlstudio.test re-enabled the account");
        Assert.Null(await support.FindAsync("nobody-" + Guid.NewGuid().ToString("N") + "@example.com"));
    }

    [Fact]
    public async Task RevokeSessions_EndsEverySession_ActivityCountsTheDay()
    {
        var user = await SyncClient.NewUserAsync(fixture.Server);
        var second = await new AuthClient(fixture.Server).LoginAsync(user.Tokens.User.Email);
        var support = fixture.Server.Services.GetRequiredService<SupportTools>();

        var ended = await support.RevokeSessionsAsync("admin@sqlstudio.test", user.Tokens.User.UserId);
        var hours = await support.ChartsAsync(TimeSpan.FromHours(24), TimeSpan.FromHours(1));
        var days = await support.ChartsAsync(TimeSpan.FromDays(7), TimeSpan.FromDays(1));

        Assert.Equal(2, ended);
        Assert.Equal(HttpStatusCode.Unauthorized, (await user.Http.GetAsync("/api/auth/me")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized,
            (await new AuthClient(fixture.Server).SendAsync(HttpMethod.Get, "/api/auth/me", second.AccessToken)).StatusCode);
        Assert.Equal(24, hours.Count);
        Assert.Equal(7, days.Count);
        Assert.True(days[^1].Signups >= 1);
        Assert.True(hours[^1].Signups >= 1);
    }

    [Fact]
    public async Task LaunchFigures_BeforeAnyFeedbackOrTrial_HaveNoRates()
    {
        await using var server = await TestServer.StartAsync();

        var report = await server.Services.GetRequiredService<LaunchFigures>().ReportAsync();

        Assert.Equal(0, report.Signups.Count);
        Assert.Null(report.Satisfaction.Rate);
        Assert.False(report.Satisfaction.Met);
        Assert.Null(report.Conversion.Rate);
        Assert.False(report.Signups.Met);
    }
}
