namespace SqlStudio.Desktop.Host;

/// <summary>
/// The local server's guard (Zoom's and Jupyter's lessons, docs/desktop.md "Security"): a Host header other than this
/// loopback origin is 400 (DNS rebinding); <c>/launch?token=</c> trades a one-time token for the session cookie and
/// answers with the page; every other request without the cookie is 401; a WebSocket or a form post from another Origin
/// is 403; every answer carries a strict Content-Security-Policy (no inline script but the page's three, admitted by
/// their hashes) and no CORS header is ever sent.
/// </summary>
public static class LocalSecurity
{
    public static IApplicationBuilder UseLocalSecurity(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        var session = context.RequestServices.GetRequiredService<LocalSession>();
        var request = context.Request;
        var response = context.Response;
        if (!session.IsLocalHost(request.Host.Value))
        {
            await RefuseAsync(context, 400, "This address is not SQL Studio's. Open SQL Studio from its launcher.");
            return;
        }
        var origin = request.Headers.Origin.ToString();
        // Before the WebSocket middleware runs (Blazor's hub maps it) only the headers say it is an upgrade.
        var webSocket = request.Headers.Upgrade.ToString().Contains("websocket", StringComparison.OrdinalIgnoreCase);
        if (origin.Length > 0 && !session.IsLocalOrigin(origin))
        {
            await RefuseAsync(context, 403, "Requests from other sites are refused.");
            return;
        }
        if (webSocket && origin.Length == 0)
        {
            await RefuseAsync(context, 403, "A WebSocket without an Origin is refused.");
            return;
        }
        response.Headers.ContentSecurityPolicy =
            $"default-src 'self'; script-src 'self' {Components.InlineScripts.Sources}; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; " +
            $"connect-src 'self' ws://127.0.0.1:{session.Port} ws://localhost:{session.Port}; frame-ancestors 'none'; base-uri 'none'; " +
            "form-action 'self'; object-src 'none'";
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers["Referrer-Policy"] = "no-referrer";
        response.Headers["Cross-Origin-Opener-Policy"] = "same-origin";
        response.Headers["Cross-Origin-Resource-Policy"] = "same-origin";
        if (request.Path == "/launch")
        {
            if (session.Redeem(request.Query["token"]) is not { } granted)
            {
                await RefuseAsync(context, 403, "This launch link was already used or is not valid. Start SQL Studio again to get a new one.");
                return;
            }
            response.Cookies.Append(LocalSession.CookieName, granted, new CookieOptions
            {
                HttpOnly = true, SameSite = SameSiteMode.Strict, Path = "/", IsEssential = true,
            });
            response.Headers.CacheControl = "no-store";
            // The page itself, not a redirect to it: in a window that has just started, each request waits its turn
            // (docs/benchmarks.md, "Start-up, seventh session"). The page puts "/" in its address before any other
            // script runs (InlineScripts.LaunchAddress), so a reload does not spend the token again.
            request.Path = "/";
            request.QueryString = QueryString.Empty;
            await next(context);
            return;
        }
        var handoff = request.Path == SingleInstance.HandoffPath && HttpMethods.IsPost(request.Method) && request.Headers.ContainsKey(SingleInstance.HandoffHeader);
        if (!handoff && !session.IsSession(request.Cookies[LocalSession.CookieName]))
        {
            await RefuseAsync(context, 401, "Open SQL Studio from its launcher: this page needs the session it starts.");
            return;
        }
        await next(context);
    });

    private static async Task RefuseAsync(HttpContext context, int status, string message)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        await context.Response.WriteAsync(message);
    }
}
