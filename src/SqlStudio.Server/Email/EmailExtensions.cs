using Microsoft.Extensions.Options;

namespace SqlStudio.Server.Email;

public static class EmailExtensions
{
    /// <summary>Email in the mode <c>Email:Mode</c> names: <c>pickup</c> (default) or <c>smtp</c>.</summary>
    public static WebApplicationBuilder AddEmail(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        var configuration = builder.Configuration;
        services.AddSettings<EmailOptions>(configuration, EmailOptions.Section);
        services.AddSingleton<IEmailSender>(sp =>
        {
            var options = sp.GetRequiredService<EmailOptions>();
            return options.Mode.ToLowerInvariant() switch
            {
                "pickup" => ActivatorUtilities.CreateInstance<PickupEmailSender>(sp),
                "smtp" when !string.IsNullOrWhiteSpace(options.Smtp.Host) => new SmtpEmailSender(options),
                "smtp" => throw new InvalidOperationException("Email:Mode is smtp but Email:Smtp:Host is not set."),
                var other => throw new InvalidOperationException($"Email:Mode '{other}' is not known; use 'pickup' or 'smtp'."),
            };
        });
        services.AddSingleton<EmailOutbox>();
        services.AddHostedService(sp => sp.GetRequiredService<EmailOutbox>());
        services.AddSingleton<EmailComposer>();
        return builder;
    }
}
