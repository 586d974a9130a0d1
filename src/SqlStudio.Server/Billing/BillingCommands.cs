using System.CommandLine;
using SqlStudio.Server.Auth;
using SqlStudio.Server.Data;

namespace SqlStudio.Server.Billing;

/// <summary>
/// Operator commands: <c>stripe-bootstrap</c> (the product and both prices, idempotently by lookup key),
/// <c>billing show EMAIL</c> and <c>billing resync EMAIL</c> (pull an account's state from Stripe).
/// </summary>
public static class BillingCommands
{
    public const string MonthlyLookupKey = "sqlstudio_individual_monthly";
    public const string YearlyLookupKey = "sqlstudio_individual_yearly";

    public static IEnumerable<Command> Create(TextWriter output, Func<IReadOnlyList<string>, (MigrationRunner Runner, WebApplication App)> open)
    {
        var bootstrap = new Command("stripe-bootstrap", "Create the Individual Tier product and its $9/month and $90/year prices in Stripe (safe to run again).");
        bootstrap.TreatUnmatchedTokensAsErrors = false;
        bootstrap.SetAction(async (result, ct) =>
        {
            var (_, app) = open(result.UnmatchedTokens);
            await using var __ = app;
            var options = app.Services.GetRequiredService<BillingOptions>();
            if (!options.Enabled)
            {
                await output.WriteLineAsync("Billing:Stripe:SecretKey is not set: nothing to do (self-hosted mode).");
                return 2;
            }
            var stripe = app.Services.GetRequiredService<StripeGateway>();
            var existing = (await stripe.PricesByLookupKeyAsync([MonthlyLookupKey, YearlyLookupKey], ct)).Data;
            var productId = existing.FirstOrDefault()?.ProductId ?? (await stripe.CreateProductAsync("Individual Tier", ct)).Id;
            var monthly = existing.FirstOrDefault(p => p.LookupKey == MonthlyLookupKey)?.Id;
            var yearly = existing.FirstOrDefault(p => p.LookupKey == YearlyLookupKey)?.Id;
            var created = 0;
            if (monthly is null)
            {
                monthly = (await stripe.CreatePriceAsync(productId, 900, "month", MonthlyLookupKey, ct)).Id;
                created++;
            }
            if (yearly is null)
            {
                yearly = (await stripe.CreatePriceAsync(productId, 9000, "year", YearlyLookupKey, ct)).Id;
                created++;
            }
            // The customer portal: switching monthly ↔ yearly with proration, payment method, invoices, cancel at period end.
            var portal = (await stripe.PortalConfigurationsAsync(ct)).Data
                .FirstOrDefault(c => c.Active && c.Metadata?.GetValueOrDefault("app") == "sqlstudio")?.Id;
            if (portal is null)
            {
                var links = app.Services.GetRequiredService<AppOptions>();
                portal = (await stripe.CreatePortalConfigurationAsync(productId, [monthly, yearly], links.Link("/terms"), links.Link("/privacy"),
                    links.Link("/billing"), ct)).Id;
                created++;
            }
            await output.WriteLineAsync(created == 0 ? "Already set up; nothing created." : $"Created {created} object(s): prices and the customer portal.");
            await output.WriteLineAsync($"product {productId}");
            await output.WriteLineAsync($"Billing__Stripe__Prices__Monthly={monthly}");
            await output.WriteLineAsync($"Billing__Stripe__Prices__Yearly={yearly}");
            await output.WriteLineAsync($"Billing__Stripe__PortalConfiguration={portal}");
            return 0;
        });
        yield return bootstrap;

        var show = AccountCommand("show", "An account's billing state as stored.", output, open, async (app, user, ct) =>
        {
            var tiers = app.Services.GetRequiredService<TierService>();
            var entitlement = await tiers.EntitlementAsync(user.UserId, user.EmailVerified);
            var row = await tiers.LatestAsync(user.UserId);
            await output.WriteLineAsync($"{user.Email} ({user.UserId}) tier={entitlement.Tier} can_push={entitlement.CanPush} can_pull={entitlement.CanPull}");
            await output.WriteLineAsync(row is null
                ? "no subscription"
                : $"subscription {row.StripeSubscriptionId} status={row.Status} plan={row.PlanId} trial_end={row.TrialEnd} period_end={row.CurrentPeriodEnd} cancel_at_period_end={row.CancelAtPeriodEnd == 1} customer={row.StripeCustomerId}");
            return 0;
        });

        var resync = AccountCommand("resync", "Fetch the account's subscriptions from Stripe and store the newest.", output, open, async (app, user, ct) =>
        {
            var customerId = await app.Services.GetRequiredService<Db>().ReadAsync(c => BillingStore.CustomerOfAsync(c, null, user.UserId));
            if (customerId is null)
            {
                await output.WriteLineAsync("No Stripe customer for this account.");
                return 2;
            }
            var subscriptions = await app.Services.GetRequiredService<StripeGateway>().ListSubscriptionsAsync(customerId, ct);
            if (subscriptions.Data.OrderByDescending(s => s.Created).FirstOrDefault() is not { } newest)
            {
                await output.WriteLineAsync("Stripe has no subscription for this customer.");
                return 0;
            }
            await app.Services.GetRequiredService<BillingService>().ApplySubscriptionAsync(user.UserId, customerId, newest, ct);
            await output.WriteLineAsync($"Stored {newest.Id}: {newest.Status}.");
            return 0;
        });
        yield return new Command("billing", "Billing support: show or resync an account.") { show, resync };
    }

    /// <summary>A command on one account named by its email: "No such account." and exit code 2 when there is none.</summary>
    private static Command AccountCommand(string name, string description, TextWriter output,
        Func<IReadOnlyList<string>, (MigrationRunner Runner, WebApplication App)> open, Func<WebApplication, UserRow, CancellationToken, Task<int>> run) =>
        OperatorCommands.OnAccount(name, description, open, async (app, email, ct) =>
        {
            if (await app.Services.GetRequiredService<AccountStore>().FindByEmailAsync(email) is not { } user)
            {
                await output.WriteLineAsync("No such account.");
                return 2;
            }
            return await run(app, user, ct);
        });
}
