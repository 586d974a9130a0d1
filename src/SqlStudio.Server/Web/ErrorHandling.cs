using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using SqlStudio.Contracts;

namespace SqlStudio.Server.Web;

/// <summary>
/// Every error leaves the server as RFC 9457 Problem Details with a <c>code</c> extension (docs/security.md). Handlers
/// that know the failure set the code themselves; this fills it in from the status for the rest (404, 405...).
/// </summary>
public static class ProblemCodes
{
    public static string ForStatus(int status) => status switch
    {
        StatusCodes.Status400BadRequest => ErrorCodes.BadRequest,
        StatusCodes.Status401Unauthorized => ErrorCodes.Unauthorized,
        StatusCodes.Status402PaymentRequired => SyncErrorCodes.SubscriptionRequired,
        StatusCodes.Status403Forbidden => ErrorCodes.Forbidden,
        StatusCodes.Status404NotFound => ErrorCodes.NotFound,
        StatusCodes.Status405MethodNotAllowed => ErrorCodes.MethodNotAllowed,
        StatusCodes.Status409Conflict => ErrorCodes.Conflict,
        StatusCodes.Status410Gone => ErrorCodes.Gone,
        StatusCodes.Status413PayloadTooLarge => ErrorCodes.PayloadTooLarge,
        StatusCodes.Status414UriTooLong => ErrorCodes.UriTooLong,
        StatusCodes.Status431RequestHeaderFieldsTooLarge => ErrorCodes.HeadersTooLarge,
        StatusCodes.Status415UnsupportedMediaType => ErrorCodes.UnsupportedMediaType,
        StatusCodes.Status429TooManyRequests => ErrorCodes.RateLimited,
        StatusCodes.Status503ServiceUnavailable => ErrorCodes.Unavailable,
        >= 500 => ErrorCodes.InternalError,
        _ => ErrorCodes.Error,
    };

    /// <summary>Adds <c>code</c> (unless set), a snake_case <c>trace_id</c>, and the validation code.</summary>
    public static void Customize(ProblemDetailsContext context)
    {
        var problem = context.ProblemDetails;
        var status = problem.Status ?? context.HttpContext.Response.StatusCode;
        if (problem is HttpValidationProblemDetails)
        {
            problem.Extensions.TryAdd("code", ErrorCodes.ValidationFailed);
        }
        problem.Extensions.TryAdd("code", ForStatus(status));
        if (context.HttpContext.Request.Path.StartsWithSegments("/api/sync") &&
            context.HttpContext.RequestServices.GetService<Sync.SyncMetrics>() is { } metrics)
        {
            // Every failed sync request, by its problem code (the answer goes through here whatever produced it).
            metrics.Error(Sync.SyncMetrics.OpOf(context.HttpContext.Request.Path), problem.Extensions["code"]?.ToString() ?? "error");
        }
        if (problem.Extensions.Remove("traceId", out var traceId))
        {
            problem.Extensions["trace_id"] = traceId;
        }
        // Titles stay generic for 5xx: the detail an exception carries is for the logs, not the client.
        if (status >= 500)
        {
            problem.Detail ??= "An unexpected error occurred. Quote the trace_id when reporting it.";
        }
    }
}

/// <summary>Turns exceptions into Problem Details: bad requests keep their 4xx status, the rest is a plain 500.</summary>
public sealed class ProblemExceptionHandler(ILogger<ProblemExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        var (status, code, detail) = exception switch
        {
            BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } =>
                (413, ErrorCodes.PayloadTooLarge, "The request body is larger than this endpoint accepts."),
            BadHttpRequestException { InnerException: JsonException } =>
                (400, ErrorCodes.MalformedJson, "The request body is not valid JSON for this endpoint."),
            BadHttpRequestException bad when bad.StatusCode is >= 400 and < 500 =>
                (bad.StatusCode, ProblemCodes.ForStatus(bad.StatusCode), bad.StatusCode == 415
                    ? "Send the body as application/json."
                    : "The request could not be read: check the body and the parameters."),
            // A compressed body that does not decompress (Content-Encoding: br or gzip with corrupt data).
            InvalidDataException or BadHttpRequestException { InnerException: InvalidDataException } =>
                (400, ErrorCodes.MalformedBody, "The request body could not be decompressed: check its Content-Encoding."),
            OperationCanceledException when httpContext.RequestAborted.IsCancellationRequested =>
                (499, "client_closed_request", "The client closed the request."),
            // A request cut short because the server is stopping: not an error; the client tries again (elsewhere).
            OperationCanceledException when httpContext.RequestServices.GetService<IHostApplicationLifetime>()?.ApplicationStopping.IsCancellationRequested == true =>
                (503, ErrorCodes.Unavailable, "The server is restarting. Try again in a moment."),
            // The database did not answer, or stayed busy past the retries: the request may be repeated as it is
            // (pushes are idempotent by mutation id).
            SqlStudio.LibSql.LibSqlException { Code: "UNAVAILABLE" or "CONNECTION_DROPPED" or "TIMEOUT" or "HTTP_503" or "HTTP_429" or "STREAM_EXPIRED" or "SQLITE_BUSY" }
                or Microsoft.Data.Sqlite.SqliteException { SqliteErrorCode: 5 or 6 } =>
                (503, ErrorCodes.DatabaseUnavailable, "The database cannot be reached right now. Try again in a moment; repeating the same request is safe."),
            _ => (500, ErrorCodes.InternalError, "An unexpected error occurred. Quote the trace_id when reporting it."),
        };
        if (status == 503)
        {
            if (exception is OperationCanceledException)
            {
                logger.LogInformation("{Method} {Path} ended by the server's shutdown", httpContext.Request.Method, httpContext.Request.Path);
            }
            else
            {
                logger.LogWarning("Database unavailable on {Method} {Path}: {Message}", httpContext.Request.Method, httpContext.Request.Path, exception.Message);
            }
            httpContext.Response.Headers.RetryAfter = "2";
        }
        if (status == 500)
        {
            // The only place the exception is recorded: the client sees a trace id, the log the details.
            logger.LogError(exception, "Unhandled exception on {Method} {Path}", httpContext.Request.Method, httpContext.Request.Path);
        }
        httpContext.Response.StatusCode = status;
        if (ErrorPages.WantsHtml(httpContext) && status >= 500)
        {
            // A browser on a page: the branded page with the trace id as a reference, not JSON.
            await ErrorPages.WriteAsync(httpContext, status);
            return true;
        }
        return await ErrorPages.WriteProblemAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails = new ProblemDetails
            {
                Status = status,
                Title = status == 500 ? "Internal server error" : ReasonPhrase(status),
                Detail = detail,
                Extensions = { ["code"] = code },
            },
        });
    }

    private static string ReasonPhrase(int status) =>
        Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status) is { Length: > 0 } phrase ? phrase : "Error";
}
