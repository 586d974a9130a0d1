using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using System.Security.Claims;
using SqlStudio.Contracts;
using SqlStudio.Server.Auth;
using SqlStudio.Server.Billing;
using SqlStudio.Server.Data;


namespace SqlStudio.Server.Sync;

/// <summary>A larger body limit for one endpoint (push, import), applied before the body is read.</summary>
public sealed record BodySizeLimit(long Bytes);

/// <summary>The sync routes (docs/sync.md), plus device listing and revocation.</summary>
public static class SyncApi
{
    public static IEndpointRouteBuilder MapSyncApi(this IEndpointRouteBuilder endpoints)
    {
        var sync = endpoints.MapGroup("/api/sync").WithTags("Sync")
            .RequireAuthorization(AuthExtensions.ApiPolicy)
            .AddEndpointFilter<SyncAccessFilter>();
        var bigBody = new BodySizeLimit(endpoints.ServiceProvider.GetRequiredService<SyncOptions>().MaxBodyBytes);

        sync.MapPost("/devices", RegisterDevice).WithMetadata(new Refusals(Refusals.Validation, Refusals.DeviceRevoked)).WithSummary("Register this device by name, system and app version (again to rename it)");
        sync.MapGet("/devices", ListDevices).WithSummary("The account's devices and when each last synced");
        sync.MapDelete("/devices/{deviceId}", RevokeDevice).WithMetadata(new Refusals(Refusals.NotFound)).WithSummary("Remove a device: it can no longer sync");
        sync.MapGet("/head", SyncEventsApi.Head).WithSummary("Cheap poll: the current cursor and record counts; long-poll with after and wait");
        sync.MapGet("/events", SyncEventsApi.Events).Produces<string>(200, "text/event-stream").WithSummary("Server-Sent Events: a 'changes' event within 250 ms of every commit that moves the cursor");
        sync.MapGet("/changes", Changes).AddEndpointFilter(RequirePullAllowed)
            .WithMetadata(new Refusals(Refusals.Validation, Refusals.PaymentRequired, Refusals.DeviceRevoked,
                (410, "The cursor is older than deletions are kept (`resync_required`): pull again from cursor 0, keeping unsent changes."))).Produces<ChangesResponse>().WithSummary("Changes after a cursor, a page at a time");
        sync.MapPost("/push", Push).AddEndpointFilter(RequireIndividualTier)
            .WithMetadata(new Refusals(Refusals.Validation, Refusals.PaymentRequired, Refusals.DeviceRevoked, Refusals.TooLarge, Refusals.Busy)).WithMetadata(bigBody).WithSummary("Send up to 1,000 mutations; each applied once, merged per field, conflicts recorded");
        sync.MapGet("/conflicts", Conflicts).WithSummary("Conflicts, unresolved by default");
        sync.MapPost("/conflicts/{conflictId}/resolve", Resolve).AddEndpointFilter(RequireIndividualTier)
            .WithMetadata(new Refusals(Refusals.Validation, Refusals.PaymentRequired, Refusals.NotFound,
                (409, "Already resolved (`already_resolved`)."), Refusals.Busy)).WithSummary("Keep one side of a conflict (or a merged record)");
        sync.MapPost("/import", Import).AddEndpointFilter(RequireIndividualTier)
            .WithMetadata(new Refusals(Refusals.Validation, Refusals.PaymentRequired, (409, "This import was undone (`import_undone`): start a new one."),
                Refusals.TooLarge, Refusals.Busy)).WithMetadata(bigBody).WithSummary("Import records from a local export, in batches");
        sync.MapDelete("/import/{importId}", UndoImport).AddEndpointFilter(RequireIndividualTier)
            .WithMetadata(new Refusals(Refusals.PaymentRequired, Refusals.NotFound, (409, "Already undone (`already_undone`)."), Refusals.Busy)).WithSummary("Undo an import");
        sync.MapGet("/integrity", Integrity).WithSummary("Counts and checksums per type, to compare with a device's store");
        sync.MapGet("/activity", RecentActivity).WithSummary("Recent pushes, pulls and imports");
        return endpoints;
    }

    private static async Task<Results<Ok<DeviceInfo>, ProblemHttpResult>> RegisterDevice(DeviceRequest request, ClaimsPrincipal user, Devices devices) =>
        Respond(await devices.RegisterAsync(user.UserId(), request));

    private static async Task<Ok<IReadOnlyList<DeviceInfo>>> ListDevices(ClaimsPrincipal user, Devices devices) =>
        TypedResults.Ok(await devices.ListAsync(user.UserId()));

    private static async Task<Results<NoContent, ProblemHttpResult>> RevokeDevice(string deviceId, ClaimsPrincipal user, Devices devices) =>
        await devices.RevokeAsync(user.UserId(), deviceId)
            ? TypedResults.NoContent()
            : new Failure(404, ErrorCodes.NotFound, "No active device with this id.").ToProblem();

    private static async Task<Results<PushStreamHttpResult, ProblemHttpResult>> Changes(ClaimsPrincipal user, PullService pull, HttpContext context,
        long? cursor, int? limit, string? types, string? device_id)
    {
        var outcome = await pull.ChangesAsync(user.UserId(), cursor ?? 0, limit, types, device_id, context.RequestAborted);
        return outcome.Value is { } page
            ? TypedResults.Stream(body => page.WriteAsync(body, context.RequestAborted), "application/json")
            : outcome.Failure!.ToProblem();
    }

    private static async Task<Results<Ok<PushResponse>, ProblemHttpResult>> Push(PushRequest request, ClaimsPrincipal user, PushService push, SyncEventHub events,
        Microsoft.FeatureManagement.IFeatureManager features, HttpContext context)
    {
        if (await features.IsEnabledAsync(Beta.Features.PauseSyncPush))
        {
            return Beta.Features.PushPaused.ToProblem(context);
        }
        var outcome = await push.PushAsync(user.UserId(), request, context.RequestAborted);
        if (outcome.Value is { } pushed && pushed.Results.Any(r => r.ServerSeq > 0 && r.Status is not (MutationStatus.Duplicate or MutationStatus.Rejected)))
        {
            await events.PublishAsync(user.UserId(), pushed.Cursor, request.DeviceId);
        }
        return Respond(outcome, context);
    }

    private static async Task<Results<Ok<IReadOnlyList<ConflictInfo>>, ProblemHttpResult>> Conflicts(ClaimsPrincipal user, ConflictService conflicts, string? status,
        CancellationToken cancellationToken)
    {
        if (status is not (null or "unresolved" or "all"))
        {
            return Failure.Validation(new Dictionary<string, string[]> { ["status"] = ["status is 'unresolved' or 'all'."] }).ToProblem();
        }
        return TypedResults.Ok(await conflicts.ListAsync(user.UserId(), unresolvedOnly: status != "all", cancellationToken: cancellationToken));
    }

    // The service announces the resolution itself (the web page resolves through it too).
    private static async Task<Results<Ok<System.Text.Json.Nodes.JsonObject>, ProblemHttpResult>> Resolve(string conflictId, ResolveRequest request, ClaimsPrincipal user, ConflictService conflicts,
        CancellationToken cancellationToken) =>
        Respond(await conflicts.ResolveAsync(user.UserId(), conflictId, request, cancellationToken));

    // Import and undo announce their commit themselves, with the cursor their write left.
    private static async Task<Results<Ok<ImportResponse>, ProblemHttpResult>> Import(ImportRequest request, ClaimsPrincipal user, ImportService imports,
        CancellationToken cancellationToken) =>
        Respond(await imports.ImportAsync(user.UserId(), request, cancellationToken));

    private static async Task<Results<Ok<UndoImportResponse>, ProblemHttpResult>> UndoImport(string importId, ClaimsPrincipal user, ImportService imports,
        CancellationToken cancellationToken) =>
        Respond(await imports.UndoAsync(user.UserId(), importId, cancellationToken));

    private static async Task<Ok<IntegrityResponse>> Integrity(ClaimsPrincipal user, IntegrityService integrity) =>
        TypedResults.Ok(await integrity.SummaryAsync(user.UserId()));

    private static async Task<Ok<IReadOnlyList<ActivityInfo>>> RecentActivity(ClaimsPrincipal user, Db db, int? limit) =>
        TypedResults.Ok(await ActivityStore.RecentAsync(db, user.UserId(), Math.Clamp(limit ?? 50, 1, 500)));

    private static Results<Ok<T>, ProblemHttpResult> Respond<T>(Outcome<T> outcome, HttpContext? context = null) =>
        outcome.Value is { } value ? TypedResults.Ok(value) : outcome.Failure!.ToProblem(context);

    /// <summary>Reading stays allowed while subscribed and for 30 days after a subscription ends.</summary>
    private static ValueTask<object?> RequirePullAllowed(EndpointFilterInvocationContext context, EndpointFilterDelegate next) =>
        context.HttpContext.Features.GetRequiredFeature<SyncAccess>().Entitlement.CanPull
            ? next(context)
            : ValueTask.FromResult<object?>(new Failure(402, SyncErrorCodes.SubscriptionRequired,
                "Your subscription ended more than 30 days ago. Subscribe again to get your synced data back.").ToProblem());

    /// <summary>Writing needs the Individual tier; reading stays allowed so nobody loses their own data.</summary>
    private static ValueTask<object?> RequireIndividualTier(EndpointFilterInvocationContext context, EndpointFilterDelegate next) =>
        context.HttpContext.Features.GetRequiredFeature<SyncAccess>().Entitlement.CanPush
            ? next(context)
            : ValueTask.FromResult<object?>(new Failure(402, SyncErrorCodes.SubscriptionRequired,
                "Syncing changes needs the Individual plan. Start a trial or subscribe on the billing page; your synced data stays readable.").ToProblem());
}

/// <summary>Who is syncing and what their plan allows: loaded once per sync request by <see cref="SyncAccessFilter"/>.</summary>
public sealed record SyncAccess(UserRow User, Entitlement Entitlement);

/// <summary>
/// Sync needs a confirmed email (docs/sync.md): an unverified account can sign in, not sync. The account and its
/// subscription come with the session (read once, cached with it), so this costs no round trip when cached; the tier
/// filters after it read the typed <see cref="SyncAccess"/> it leaves on the request.
/// </summary>
public sealed class SyncAccessFilter(SessionValidator sessions, TierService tiers) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        if (await sessions.AccountAsync(http.User.SessionId(), http.User.UserId()) is not { User.EmailVerified: true } found)
        {
            return new Failure(403, AuthErrorCodes.EmailUnverified,
                "Confirm your email address to turn on sync: open the link we sent you, or ask for a new one on your account page.").ToProblem();
        }
        http.Features.Set(new SyncAccess(found.User, tiers.Evaluate(found.Subscription, true)));
        return await next(context);
    }
}
