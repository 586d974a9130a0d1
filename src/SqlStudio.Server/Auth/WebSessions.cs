using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.IdentityModel.JsonWebTokens;
using SqlStudio.Server.Data;

namespace SqlStudio.Server.Auth;

/// <summary>Cookie sessions for the pages: each is a session row like a desktop one, listed and revoked alike.</summary>
public sealed class WebSessions(Db db, SessionTokens sessions, TimeProvider time)
{
    public async Task SignInAsync(HttpContext context, UserRow user, bool rememberMe)
    {
        var client = context.Client(platform: "web");
        var sessionId = await db.WriteAsync(async (c, t) =>
        {
            var (id, _) = await sessions.OpenAsync(c, t, user, rememberMe, client with { DeviceName = "Web browser" }, kind: "web");
            await AccountStore.AuditAsync(c, t, new AuditEvent(AuditEvents.LoginSucceeded, user.UserId, client.Ip, client.UserAgent, id),
                StoredTime.Format(time.GetUtcNow()));
            return id;
        });
        var identity = new ClaimsIdentity(
            [
                new Claim(JwtRegisteredClaimNames.Sub, user.UserId),
                new Claim(JwtRegisteredClaimNames.Sid, sessionId),
                new Claim(JwtRegisteredClaimNames.Name, user.Name),
            ],
            AuthExtensions.CookieScheme, JwtRegisteredClaimNames.Name, null);
        await context.SignInAsync(AuthExtensions.CookieScheme, new ClaimsPrincipal(identity),
            new AuthenticationProperties { IsPersistent = rememberMe });
    }

    public async Task SignOutAsync(HttpContext context, bool everywhere)
    {
        if (context.User.FindFirstValue(JwtRegisteredClaimNames.Sub) is { } userId &&
            context.User.FindFirstValue(JwtRegisteredClaimNames.Sid) is { } sessionId)
        {
            var ip = context.Connection.RemoteIpAddress?.ToString();
            await sessions.RevokeAsync(userId, everywhere ? null : sessionId, null, everywhere ? "logout_all" : "logout",
                new AuditEvent(everywhere ? AuditEvents.LogoutAll : AuditEvents.Logout, userId, ip, SessionId: sessionId));
        }
        await context.SignOutAsync(AuthExtensions.CookieScheme);
    }
}
