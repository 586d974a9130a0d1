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

    public static async Task WriteAsync(HttpContext context, int status)
    {
        var (title, text) = status switch
        {
            404 => ("Page not found", "There is nothing at this address. It may have moved, or the link may be mistyped."),
            401 or 403 => ("Not for this account", "This page needs you to be signed in with an account that may see it."),
            405 => ("That did not work", "This page cannot be used that way. Go back and try again."),
            429 => ("Slow down a little", "Too many attempts in a short time. Wait a minute and try again."),
            503 => ("Back in a moment", "The service is briefly unavailable. Try again in a minute; nothing you did was lost."),
            >= 500 => ("Something went wrong", "An unexpected error stopped this page. Try again; if it keeps happening, send us the reference below."),
            _ => ("That did not work", "The request could not be handled. Go back and try again."),
        };
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
            <ul><li><a href="/account">Account</a></li></ul></nav></header>
            <main class="container">
            <article class="auth-card">
            <h1>{{WebUtility.HtmlEncode(title)}}</h1>
            <p>{{WebUtility.HtmlEncode(text)}}</p>
            {{(reference is null ? "" : $"<p><small>Reference: <code>{WebUtility.HtmlEncode(reference)}</code></small></p>")}}
            <p><a href="/" role="button">Go to the home page</a></p>
            </article>
            </main>
            <footer class="container"><small>SQL Studio Cloud · <a href="/terms">Terms</a> · <a href="/privacy">Privacy</a> · <a href="/health/ready">status</a></small></footer>
            </body>
            </html>
            """);
    }

    /// <summary>The status code pages: branded HTML for browsers on pages, Problem Details for everyone else.</summary>
    public static async Task StatusCodePageAsync(Microsoft.AspNetCore.Diagnostics.StatusCodeContext context)
    {
        var http = context.HttpContext;
        if (WantsHtml(http))
        {
            await WriteAsync(http, http.Response.StatusCode);
            return;
        }
        await WriteProblemAsync(new ProblemDetailsContext { HttpContext = http, ProblemDetails = new ProblemDetails { Status = http.Response.StatusCode } });
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
