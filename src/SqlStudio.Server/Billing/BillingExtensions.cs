
namespace SqlStudio.Server.Billing;

/// <summary>Billing's services: Stripe, tiers, checkout and the portal, webhooks, metrics.</summary>
public static class BillingExtensions
{
    public static WebApplicationBuilder AddBilling(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        var configuration = builder.Configuration;
        services.AddSettings<BillingOptions>(configuration, BillingOptions.Section);
        services.AddHttpClient(nameof(StripeGateway));
        services.AddSingleton<StripeGateway>();
        services.AddSingleton<TierService>();
        services.AddSingleton<BillingService>();
        services.AddSingleton<StripeWebhooks>();
        services.AddSingleton<BillingMetrics>();
        services.AddHostedService(sp => sp.GetRequiredService<BillingMetrics>());
        return builder;
    }
}
