using Microsoft.AspNetCore.Http.HttpResults;
using System.Globalization;
using System.IdentityModel.Tokens.Jwt;
using System.Security.Claims;
using System.Text;
using Microsoft.AspNetCore.Http.Features;
using SqlStudio.Server.Auth;
using SqlStudio.Contracts;

namespace SqlStudio.Server.Sync;

/// <summary>
/// Real time (docs/sync.md, "Hearing about changes at once"; <c>GET /api/sync/events</c> and long-poll <c>head</c>): events carry only the cursor, so the pull
/// stays the single way data moves and a lost event costs latency, never data.
/// </summary>
public static class SyncEventsApi
{

    public static async Task Events(HttpContext context, ClaimsPrincipal user, SyncEventHub hub, PullService pull, SyncOptions options,
        TimeProvider time, IHostApplicationLifetime lifetime)
    {
        var userId = user.UserId();
        if (hub.OpenStreams(userId) >= options.Events.MaxStreamsPerUser)
        {
            await new Failure(429, SyncErrorCodes.TooManyStreams,
                    $"At most {options.Events.MaxStreamsPerUser} event streams per account; close one (or use long-poll on head).")
                .ToProblem().ExecuteAsync(context);
            return;
        }
        // Subscribed before the cursor is read: a commit in between is not missed.
        using var subscription = hub.Subscribe(userId, user.SessionId(), stream: true);
        var cursor = await pull.CursorAsync(userId);

        var response = context.Response;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();

        // The stream ends with the access token (the client reconnects with a fresh one), on revocation, and on shutdown.
        var expires = long.TryParse(user.FindFirstValue(JwtRegisteredClaimNames.Exp), CultureInfo.InvariantCulture, out var exp)
            ? DateTimeOffset.FromUnixTimeSeconds(exp) - time.GetUtcNow()
            : TimeSpan.FromMinutes(15);
        using var tokenLifetime = new CancellationTokenSource(expires > TimeSpan.Zero ? expires : TimeSpan.Zero, time);
        using var end = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, subscription.Ended.Token, tokenLifetime.Token,
            lifetime.ApplicationStopping);

        var retry = (long)options.Events.RetryHint.TotalMilliseconds;
        var sent = cursor;
        try
        {
            // Inside the try: a stream opened as the server stops (a client reconnecting) ends like any other, quietly.
            await WriteAsync(response, $"retry: {retry}\nid: {cursor}\nevent: ready\ndata: {{\"cursor\":{cursor}}}\n\n", end.Token);
            if (long.TryParse(context.Request.Headers["Last-Event-ID"], CultureInfo.InvariantCulture, out var lastSeen) && lastSeen < cursor)
            {
                // The client was told about `lastSeen` before it lost the stream: what it missed is one event now.
                await WriteAsync(response, Changes(cursor, null), end.Token);
            }
            while (!end.IsCancellationRequested)
            {
                using var heartbeat = CancellationTokenSource.CreateLinkedTokenSource(end.Token);
                heartbeat.CancelAfter(options.Events.HeartbeatInterval);
                SyncEvent? next = null;
                try
                {
                    if (await subscription.Events.Reader.WaitToReadAsync(heartbeat.Token))
                    {
                        subscription.Events.Reader.TryRead(out next);
                    }
                }
                catch (OperationCanceledException) when (!end.IsCancellationRequested)
                {
                    await WriteAsync(response, ": ping\n\n", end.Token);
                    continue;
                }
                if (next is { } e && e.Cursor > sent)
                {
                    await WriteAsync(response, Changes(e.Cursor, e.DeviceId), end.Token);
                    hub.Delivered(e);
                    sent = e.Cursor;
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException)
        {
            // The client went away or the server is stopping: neither is an error.
        }
        if (!context.RequestAborted.IsCancellationRequested)
        {
            // Say why, then end: the client reconnects after the retry hint (with a fresh token where that was the reason).
            var reason = subscription.Ended.IsCancellationRequested ? "session_ended"
                : tokenLifetime.IsCancellationRequested ? "token_expired" : "server_shutdown";
            try
            {
                await WriteAsync(response, $"retry: {retry}\nevent: end\ndata: {{\"reason\":\"{reason}\"}}\n\n", context.RequestAborted);
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException)
            {
            }
        }
    }

    private static string Changes(long cursor, string? deviceId) =>
        $"id: {cursor}\nevent: changes\ndata: {System.Text.Json.JsonSerializer.Serialize(new { cursor, device_id = deviceId })}\n\n";

    private static async Task WriteAsync(HttpResponse response, string text, CancellationToken ct)
    {
        await response.Body.WriteAsync(Encoding.UTF8.GetBytes(text), ct);
        await response.Body.FlushAsync(ct);
    }

    /// <summary>
    /// <c>GET /api/sync/head</c>; with <c>after</c> and <c>wait</c>, a long-poll that answers as soon as the cursor passes
    /// <c>after</c> (within 250 ms of the commit), or when <c>wait</c> seconds have passed.
    /// </summary>
    public static async Task<Results<Ok<SqlStudio.Contracts.HeadResponse>, ProblemHttpResult>> Head(ClaimsPrincipal user, PullService pull, SyncEventHub hub, SyncOptions options, HttpContext context,
        IHostApplicationLifetime lifetime, long? after, double? wait)
    {
        var userId = user.UserId();
        if (after is null && wait is null)
        {
            return TypedResults.Ok(await pull.HeadAsync(userId, context.RequestAborted));
        }
        var maxWait = options.Head.MaxWait.TotalSeconds;
        if (after is null or < 0 || wait is null or < 0 || wait > maxWait || double.IsNaN(wait.Value))
        {
            return Failure.Validation(new Dictionary<string, string[]>
            {
                ["wait"] = [$"Long-poll needs after (a cursor, 0 or more) and wait (seconds, 0 to {maxWait:0})."],
            }).ToProblem();
        }
        using var subscription = hub.Subscribe(userId, null, stream: false);
        var head = await pull.HeadAsync(userId, context.RequestAborted);
        if (head.Cursor > after || wait == 0)
        {
            return TypedResults.Ok(head);
        }
        // A shutdown answers at once with the current head (the device long-polls again, on another instance).
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, lifetime.ApplicationStopping);
        timeout.CancelAfter(TimeSpan.FromSeconds(wait.Value));
        try
        {
            while (await subscription.Events.Reader.WaitToReadAsync(timeout.Token))
            {
                if (subscription.Events.Reader.TryRead(out var e) && e.Cursor > after)
                {
                    return TypedResults.Ok(await pull.HeadAsync(userId, context.RequestAborted));
                }
            }
        }
        catch (OperationCanceledException) when (!context.RequestAborted.IsCancellationRequested)
        {
        }
        return TypedResults.Ok(await pull.HeadAsync(userId, context.RequestAborted));
    }
}
