using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace SqlStudio.Server.Data;

public static class DataExtensions
{
    /// <summary>Registers the database provider chosen by <c>Database:Provider</c>, <see cref="Db"/> and migrations.</summary>
    public static WebApplicationBuilder AddData(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        var configuration = builder.Configuration;
        services.AddSettings<DatabaseOptions>(configuration, DatabaseOptions.Section);
        services.AddSingleton<IDbProvider>(sp =>
        {
            var options = sp.GetRequiredService<DatabaseOptions>();
            return options.Provider.ToLowerInvariant() switch
            {
                "sqlite" => new SqliteProvider(options),
                "libsql" => new LibSqlProvider(options, sp.GetRequiredService<ILoggerFactory>()),
                var other => throw new InvalidOperationException(
                    $"Database:Provider '{other}' is unknown; use 'sqlite' or 'libsql'."),
            };
        });
        services.AddSingleton<Db>();
        services.AddSingleton<JobLeases>();
        services.AddSettings<RetentionOptions>(configuration, RetentionOptions.Section);
        services.AddSingleton<RetentionJob>();
        services.AddHostedService(sp => sp.GetRequiredService<RetentionJob>());
        services.AddSingleton(sp => new MigrationRunner(
            sp.GetRequiredService<Db>(), Migration.Embedded(), sp.GetRequiredService<TimeProvider>()));
        // First of all hosted services (Data Protection registers one that reads its key ring, from the database).
        services.Insert(0, ServiceDescriptor.Singleton<IHostedService, MigrationStartup>());
        services.AddHostedService<WalCheckpoints>();
        services.AddHealthChecks().AddCheck<DatabaseHealthCheck>("database", tags: ["ready"]);
        return builder;
    }
}

public static class RoundTripMiddleware
{
    public const string Header = "X-Db-Round-Trips";

    /// <summary>
    /// Counts each request's database round trips: logged at Debug with the request (its trace id is in the log scope),
    /// and sent as <c>X-Db-Round-Trips</c> when <c>Database:ReportRoundTrips</c> is on.
    /// </summary>
    public static IApplicationBuilder UseDbRoundTrips(this IApplicationBuilder app)
    {
        var options = app.ApplicationServices.GetRequiredService<DatabaseOptions>();
        var logger = app.ApplicationServices.GetRequiredService<ILoggerFactory>().CreateLogger("SqlStudio.Server.Data.RoundTrips");
        return app.Use(async (context, next) =>
        {
            var box = DbRoundTrips.Begin();
            if (options.ReportRoundTrips)
            {
                context.Response.OnStarting(() =>
                {
                    context.Response.Headers[Header] = box.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
                    return Task.CompletedTask;
                });
            }
            var watch = System.Diagnostics.Stopwatch.StartNew();
            await next(context);
            if (box.Count > 0 && logger.IsEnabled(LogLevel.Debug))
            {
                logger.LogDebug("{Method} {Path}: {RoundTrips} database round trips, {Ms:F1} ms in all", context.Request.Method,
                    context.Request.Path.Value, box.Count, watch.Elapsed.TotalMilliseconds);
            }
        });
    }
}

/// <summary>
/// The embedded file's WAL, checkpointed and truncated every <c>Database:CheckpointInterval</c>, so a busy spell does
/// not leave it large for ever (SQLite's automatic checkpoints copy pages back but never shrink the file).
/// </summary>
internal sealed class WalCheckpoints(IDbProvider provider, DatabaseOptions options, TimeProvider time, ILogger<WalCheckpoints> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (provider is not SqliteProvider sqlite || options.CheckpointInterval <= TimeSpan.Zero)
        {
            return;
        }
        using var timer = new PeriodicTimer(options.CheckpointInterval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                if (!await sqlite.CheckpointAsync(stoppingToken))
                {
                    logger.LogDebug("WAL checkpoint partial (a reader holds an old snapshot); the next one finishes it");
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogWarning(ex, "WAL checkpoint failed; retrying at the next interval");
            }
        }
    }
}

/// <summary>
/// Runs before the server takes requests: refuses to start on a changed applied migration, and applies
/// pending ones when <c>Database:AutoMigrate</c> is on.
/// </summary>
internal sealed class MigrationStartup(MigrationRunner runner, DatabaseOptions options, ILogger<MigrationStartup> logger)
    : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await runner.VerifyAsync(cancellationToken);
        if (!options.AutoMigrate)
        {
            var pending = await runner.PendingCountAsync(cancellationToken);
            if (pending > 0)
            {
                logger.LogWarning("{Pending} migration(s) pending and Database:AutoMigrate is off; /health/ready reports unhealthy until `migrate up` runs", pending);
            }
            return;
        }
        foreach (var migration in await runner.UpAsync(cancellationToken: cancellationToken))
        {
            logger.LogInformation("Applied migration {Migration}", migration.Id);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>Ready when the database answers and every migration of this build is applied.</summary>
internal sealed class DatabaseHealthCheck(MigrationRunner runner) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var pending = await runner.PendingCountAsync(cancellationToken);
            return pending == 0
                ? HealthCheckResult.Healthy("database reachable, migrations current")
                : HealthCheckResult.Unhealthy($"{pending} migration(s) pending");
        }
        catch (Exception ex)
        {
            return HealthCheckResult.Unhealthy("database unreachable", ex);
        }
    }
}
