
namespace SqlStudio.Server.Beta;

/// <summary>The beta's services: invites, waitlist, feedback, onboarding, what's new, feature flags, launch figures.</summary>
public static class BetaExtensions
{
    public static WebApplicationBuilder AddBeta(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        var configuration = builder.Configuration;
        services.AddSettings<BetaOptions>(configuration, BetaOptions.Section);
        services.AddSingleton<Invites>();
        services.AddSingleton<Waitlist>();
        services.AddSingleton<FeedbackService>();
        services.AddSingleton<LaunchFigures>();
        services.AddSingleton<Onboarding>();
        services.AddSingleton<WhatsNew>();
        services.AddSingleton<SupportTools>();
        services.AddSingleton<LaunchMetrics>();
        services.AddHostedService(sp => sp.GetRequiredService<LaunchMetrics>());
        services.AddFeatures(configuration);
        return builder;
    }
}
