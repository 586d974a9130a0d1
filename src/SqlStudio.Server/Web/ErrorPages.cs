using System.Diagnostics;
using System.Net;
using Microsoft.AspNetCore.Mvc;

namespace SqlStudio.Server.Web;

/// <summary>
/// What a browser sees for an error on a page (not /api): a branded HTML page with the site's header and footer and a
/// way back — never Problem Details JSON or Kestrel's plain text. API clients keep getting Problem Details.
/// </summary>
public static class ErrorPages
{
    /// <summary>A browser asking for a page: not an API path, and HTML is what it accepts.</summary>
    public static bool WantsHtml(HttpContext context) =>
        !context.Request.Path.StartsWithSegments("/api") && !context.Request.Path.StartsWithSegments("/metrics") &&
        !context.Request.Path.StartsWithSegments("/health") &&
        context.Request.Headers.Accept.ToString().Contains("text/html", StringComparison.OrdinalIgnoreCase);

    /// <summary>The title and sentence of an error page, for the static page and the Blazor one alike.</summary>
    public static (string Title, string Text) Describe(int status) => status switch
    {
        404 => ("Page not found", "There is nothing at this address. It may have moved, or the link may be mistyped."),
        401 or 403 => ("Not for this account", "This page needs you to be signed in with an account that may see it."),
        405 => ("That did not work", "This page cannot be used that way. Go back and try again."),
        429 => ("Slow down a little", "Too many attempts in a short time. Wait a minute and try again."),
        503 => ("Back in a moment", "The service is briefly unavailable. Try again in a minute; nothing you did was lost."),
        >= 500 => ("Something went wrong", "An unexpected error stopped this page. Try again; if it keeps happening, send us the reference below."),
        _ => ("That did not work", "The request could not be handled. Go back and try again."),
    };

    /// <summary>
    /// The static error page, for failures of the server itself (5xx): it reads nothing (no database, no session), so
    /// it shows whatever is down. 4xx pages are the Blazor <c>/error/{status}</c> page with the site's own layout.
    /// </summary>
    public static async Task WriteAsync(HttpContext context, int status)
    {
        var (title, text) = Describe(status);
        var reference = status >= 500 ? Activity.Current?.TraceId.ToString() ?? context.TraceIdentifier : null;
        context.Response.ContentType = "text/html; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        await context.Response.WriteAsync($$"""
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8" />
            <meta name="viewport" content="width=device-width, initial-scale=1" />
            <meta name="robots" content="noindex" />
            <title>{{WebUtility.HtmlEncode(title)}} — SQL Studio Cloud</title>
            <link rel="icon" href="/favicon.svg" />
            <link rel="stylesheet" href="/lib/pico/pico.min.css" />
            <link rel="stylesheet" href="/css/site.css" />
            </head>
            <body>
            <header class="container"><nav><ul><li><a href="/" class="brand"><strong>SQL Studio Cloud</strong></a></li></ul>
            <ul><li><a href="/docs/api">API</a></li><li><a href="/account">Account</a></li></ul></nav></header>
            <main class="container">
            <article class="auth-card">
            <h1>{{WebUtility.HtmlEncode(title)}}</h1>
            <p>{{WebUtility.HtmlEncode(text)}}</p>
            {{(reference is null ? "" : $"<p><small>Reference: <code>{WebUtility.HtmlEncode(reference)}</code></small></p>")}}
            <p><a href="/" role="button">Go to the home page</a></p>
            </article>
            </main>
            <footer class="container"><small>SQL Studio Cloud · your workspace on every machine · <a href="/terms">Terms</a> · <a href="/privacy">Privacy</a> · <a href="/status">status</a></small></footer>
            </body>
            </html>
            """);
    }

    /// <summary>
    /// The status code pages: for a browser on a page, the request is run again as <c>GET /error/{status}</c> (the
    /// Blazor page inside the site's layout, the status kept); everyone else gets Problem Details.
    /// </summary>
    public static async Task StatusCodePageAsync(Microsoft.AspNetCore.Diagnostics.StatusCodeContext context)
    {
        var http = context.HttpContext;
        if (!WantsHtml(http))
        {
            await WriteProblemAsync(new ProblemDetailsContext { HttpContext = http, ProblemDetails = new ProblemDetails { Status = http.Response.StatusCode } });
            return;
        }
        var status = http.Response.StatusCode;
        if (status >= 500)
        {
            await WriteAsync(http, status);
            return;
        }
        var (path, query, method) = (http.Request.Path, http.Request.QueryString, http.Request.Method);
        http.Features.Set<Microsoft.AspNetCore.Diagnostics.IStatusCodeReExecuteFeature>(new Microsoft.AspNetCore.Diagnostics.StatusCodeReExecuteFeature
        {
            OriginalPath = path.Value!, OriginalPathBase = http.Request.PathBase.Value!, OriginalQueryString = query.Value,
            Endpoint = http.GetEndpoint(), RouteValues = new(http.Request.RouteValues),
        });
        // Routing runs again (UseWebDefaults places UseRouting after the status code pages) for the error page's path.
        http.SetEndpoint(null);
        http.Request.RouteValues.Clear();
        http.Request.Path = $"/error/{status}";
        http.Request.QueryString = QueryString.Empty;
        http.Request.Method = HttpMethods.Get;
        // A scope of its own, as the framework's re-execution does: a page that answered 404 has already set up its
        // scoped services (Blazor's NavigationManager initializes once per scope).
        var services = http.RequestServices;
        await using var scope = services.GetRequiredService<IServiceScopeFactory>().CreateAsyncScope();
        http.RequestServices = scope.ServiceProvider;
        try
        {
            await context.Next(http);
        }
        finally
        {
            http.RequestServices = services;
            (http.Request.Path, http.Request.QueryString, http.Request.Method) = (path, query, method);
            http.Features.Set<Microsoft.AspNetCore.Diagnostics.IStatusCodeReExecuteFeature>(null);
        }
    }

    /// <summary>
    /// Problem Details whatever the client accepts: the service declines when <c>Accept</c> names no JSON type (a
    /// browser-like client on an API route), and an API error must never be an empty body.
    /// </summary>
    public static async Task<bool> WriteProblemAsync(ProblemDetailsContext context)
    {
        var http = context.HttpContext;
        if (await http.RequestServices.GetRequiredService<IProblemDetailsService>().TryWriteAsync(context))
        {
            return true;
        }
        var problem = context.ProblemDetails;
        problem.Status ??= http.Response.StatusCode;
        problem.Title ??= Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(problem.Status.Value);
        problem.Extensions.TryAdd("traceId", Activity.Current?.Id ?? http.TraceIdentifier);
        ProblemCodes.Customize(context);
        await http.Response.WriteAsJsonAsync(problem, (System.Text.Json.JsonSerializerOptions?)null, "application/problem+json");
        return true;
    }
}
