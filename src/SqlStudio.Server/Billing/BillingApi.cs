using Microsoft.AspNetCore.Http.HttpResults;
using System.Security.Claims;
using SqlStudio.Contracts;
using SqlStudio.Server.Auth;

namespace SqlStudio.Server.Billing;

public sealed record CheckoutRequest(string? PriceId);

/// <summary>The billing routes (docs/stripe-setup.md).</summary>
public static class BillingApi
{
    public static IEndpointRouteBuilder MapBillingApi(this IEndpointRouteBuilder endpoints)
    {
        var billing = endpoints.MapGroup("/api/billing").WithTags("Billing");
        billing.MapGet("/plans", (BillingService service) => TypedResults.Ok(service.Plans())).WithSummary("The plans and their prices");
        var signedIn = billing.MapGroup("").RequireAuthorization(AuthExtensions.ApiPolicy);
        signedIn.MapPost("/create-checkout", CreateCheckout)
            .WithMetadata(new Refusals(Refusals.Validation, (403, "The account's email is not confirmed yet (`email_unverified`)."),
                (409, "The account already has a subscription (`already_subscribed`): manage it through the portal."), Refusals.BillingDisabled, Refusals.PaymentsUnavailable))
            .WithSummary("Start Stripe Checkout for a plan: the address to send the browser to");
        signedIn.MapGet("/portal", Portal)
            .WithMetadata(new Refusals((404, "No billing account yet: start a subscription first (`no_customer`)."), Refusals.BillingDisabled, Refusals.PaymentsUnavailable))
            .WithSummary("A Stripe customer portal session: the address to send the browser to");
        signedIn.MapGet("/subscription", Subscription).WithSummary("The subscription: plan, status, trial and period end");
        endpoints.MapPost("/api/webhooks/stripe", WebhookAsync).WithTags("Billing")
            .WithMetadata(new Refusals((400, "The Stripe-Signature header does not verify the body (`signature_invalid`)."), Refusals.BillingDisabled)).WithSummary("Stripe events (signed)");
        return endpoints;
    }

    private static async Task<Results<Ok<CheckoutResponse>, UnauthorizedHttpResult, ProblemHttpResult>> CreateCheckout(CheckoutRequest request, ClaimsPrincipal principal, AccountStore accounts, BillingService billing,
        HttpContext context)
    {
        if (await accounts.FindByIdAsync(principal.UserId()) is not { } user)
        {
            return TypedResults.Unauthorized();
        }
        if (!user.EmailVerified)
        {
            return new Failure(403, AuthErrorCodes.EmailUnverified, "Confirm your email address before subscribing.").ToProblem();
        }
        var outcome = await billing.CreateCheckoutAsync(user, request.PriceId, context.RequestAborted);
        return outcome.Value is { } checkout ? TypedResults.Ok(checkout) : outcome.Failure!.ToProblem(context);
    }

    private static async Task<Results<Ok<PortalResponse>, ProblemHttpResult>> Portal(ClaimsPrincipal principal, BillingService billing, HttpContext context)
    {
        var outcome = await billing.PortalAsync(principal.UserId(), context.RequestAborted);
        return outcome.Value is { } portal ? TypedResults.Ok(portal) : outcome.Failure!.ToProblem(context);
    }

    private static async Task<Results<Ok<SubscriptionResponse>, UnauthorizedHttpResult>> Subscription(ClaimsPrincipal principal, AccountStore accounts, BillingService billing) =>
        await accounts.FindByIdAsync(principal.UserId()) is { } user
            ? TypedResults.Ok(await billing.SubscriptionAsync(user))
            : TypedResults.Unauthorized();

    /// <summary>Reads the raw body (the signature covers its exact bytes), verifies it, and applies the event once.</summary>
    private static async Task<Results<Ok<WebhookReceipt>, ProblemHttpResult>> WebhookAsync(HttpContext context, StripeWebhooks webhooks, BillingOptions options, ILogger<StripeWebhooks> logger)
    {
        if (!options.Enabled)
        {
            return new Failure(503, BillingErrorCodes.BillingDisabled, "Billing is off on this server.").ToProblem();
        }
        using var reader = new StreamReader(context.Request.Body);
        var body = await reader.ReadToEndAsync(context.RequestAborted);
        switch (webhooks.Verify(body, context.Request.Headers["Stripe-Signature"], out var parsed, out var problem))
        {
            case StripeWebhooks.Verdict.BadSignature:
                BillingMetrics.Webhook("unknown", BillingErrorCodes.SignatureInvalid);
                return new Failure(400, BillingErrorCodes.SignatureInvalid, $"The Stripe-Signature header does not verify: {problem}").ToProblem();
            case StripeWebhooks.Verdict.Malformed:
                // Signed by Stripe's secret but not an event we can read: acknowledged (a retry would be the same bytes)
                // and logged for the operator.
                logger.LogWarning("Signed Stripe webhook skipped: {Problem}", problem);
                BillingMetrics.Webhook("unknown", "skipped");
                return TypedResults.Ok(new WebhookReceipt(true));
        }
        var stripeEvent = parsed!;
        try
        {
            BillingMetrics.Webhook(stripeEvent.Type, await webhooks.HandleAsync(stripeEvent, context.RequestAborted) ? "processed" : "duplicate");
        }
        catch (Exception) when (!context.RequestAborted.IsCancellationRequested)
        {
            // Stripe retries what failed; the metric and the alert tell the operator it is failing.
            BillingMetrics.Webhook(stripeEvent.Type, "failed");
            throw;
        }
        return TypedResults.Ok(new WebhookReceipt(true));
    }
}

/// <summary>What Stripe gets back for an event it may stop sending.</summary>
public sealed record WebhookReceipt(bool Received);
