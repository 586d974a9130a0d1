using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace SqlStudio.Server.Kernel;

/// <summary>
/// The one way a configuration section becomes options: bound, checked against its attributes when the server
/// starts (not at the first request that reads it), and registered both as <see cref="IOptions{T}"/> and as the plain
/// object services take. A bad value stops the start with the key named: "Auth:AccessTokenLifetime: …".
/// </summary>
public static class Settings
{
    public static OptionsBuilder<T> AddSettings<T>(this IServiceCollection services, IConfiguration configuration, string section)
        where T : class
    {
        services.AddSingleton<IValidateOptions<T>>(new KeyedValidator<T>(section));
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<T>>().Value);
        return services.AddOptions<T>().Bind(configuration.GetSection(section)).ValidateOnStart();
    }

    /// <summary>What the server prints when the start stopped on configuration: one line per key.</summary>
    public static string Describe(Exception exception) =>
        "The server did not start: its configuration is invalid.\n" + string.Join("\n", Failures(exception).Select(f => "  " + f));

    /// <summary>Whether the start stopped on invalid settings (one section, or several at once).</summary>
    public static bool IsInvalidSettings(Exception exception) => Failures(exception).Any();

    private static IEnumerable<string> Failures(Exception exception) => exception switch
    {
        OptionsValidationException invalid => invalid.Failures,
        AggregateException many when many.InnerExceptions.All(e => e is OptionsValidationException) =>
            many.InnerExceptions.SelectMany(Failures),
        _ => [],
    };

    private sealed class KeyedValidator<T>(string section) : IValidateOptions<T> where T : class
    {
        public ValidateOptionsResult Validate(string? name, T options)
        {
            var results = new List<ValidationResult>();
            Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true);
            return results.Count == 0
                ? ValidateOptionsResult.Success
                : ValidateOptionsResult.Fail(results.Select(r =>
                    $"{string.Join(", ", r.MemberNames.DefaultIfEmpty("").Select(m => m.Length == 0 ? section : $"{section}:{m}"))}: {r.ErrorMessage}"));
        }
    }
}
