using Microsoft.AspNetCore.Http.HttpResults;
using System.Security.Claims;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.ModelBinding;
using SqlStudio.Contracts;
using SqlStudio.Server.Auth;

namespace SqlStudio.Server.Account;

/// <summary>The account data routes (docs/security.md): <c>GET /api/account/export</c> and <c>DELETE /api/account</c>.</summary>
public static class AccountDataApi
{
    public static IEndpointRouteBuilder MapAccountDataApi(this IEndpointRouteBuilder endpoints)
    {
        var account = endpoints.MapGroup("/api/account").WithTags("Account").AddEndpointFilter(AuthApi.NoStore);
        account.MapGet("/export", Export).RequireAuthorization(AuthExtensions.ApiOrPagePolicy).Produces<System.Text.Json.Nodes.JsonObject>(200, "application/json")
            .WithSummary("Everything the account holds, as one JSON document (never a secret)");
        // Bearer only: a cookie-borne DELETE would need antiforgery; the account page has its own form.
        account.MapDelete("", Delete).RequireAuthorization(AuthExtensions.ApiPolicy)
            .WithMetadata(new Refusals((401, "The password is not right (`invalid_credentials`), or an account without one must have signed in within 5 minutes (`reauthentication_required`); nothing was deleted."),
                (503, "Stripe could not cancel the subscription (`billing_unavailable`); nothing was deleted.")))
            .WithSummary("Delete the account and every record of it");
        return endpoints;
    }

    private static PushStreamHttpResult Export(ClaimsPrincipal user, AccountData data, TimeProvider time, HttpContext context) =>
        TypedResults.Stream(stream => data.WriteExportAsync(user.UserId(), stream, context.RequestAborted), "application/json",
            $"sqlstudio-export-{time.GetUtcNow():yyyy-MM-dd}.json");

    private static async Task<Results<NoContent, ProblemHttpResult>> Delete([FromBody(EmptyBodyBehavior = EmptyBodyBehavior.Allow)] DeleteAccountRequest? request,
        ClaimsPrincipal user, AccountData data, HttpContext context) =>
        await data.DeleteAsync(user.UserId(), user.SessionId(), request?.Password, context.RequestAborted) is { } failure
            ? failure.ToProblem(context)
            : TypedResults.NoContent();
}
