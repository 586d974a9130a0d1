using System.Security.Cryptography;
using System.Text;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using SqlStudio.Contracts;

namespace SqlStudio.Server.Observability;

/// <summary>
/// Metrics and traces through OpenTelemetry .NET: the server's own meters (every <c>SqlStudio.Server.*</c>), ASP.NET
/// Core's and HttpClient's, exported in Prometheus text at <c>GET /metrics</c> (guarded by <c>Metrics:Token</c> when
/// set); traces of requests, outgoing HTTP and database round trips, exported over OTLP when
/// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set. Names follow OpenTelemetry's Prometheus translation (docs/operations.md, "Metrics").
/// </summary>
public static class Telemetry
{
    /// <summary>The source of the server's own spans (database round trips).</summary>
    public static readonly System.Diagnostics.ActivitySource Source = new("SqlStudio.Server");

    public static WebApplicationBuilder AddTelemetry(this WebApplicationBuilder builder)
    {
        var otel = builder.Services.AddOpenTelemetry().ConfigureResource(r => r.AddService("sqlstudio-server"));
        otel.WithMetrics(metrics => metrics
            .AddMeter("SqlStudio.Server.*")
            .AddAspNetCoreInstrumentation()
            .AddHttpClientInstrumentation()
            .AddPrometheusExporter());
        builder.Services.AddHostedService<MetricSeeds>();
        otel.WithTracing(tracing =>
        {
            tracing.AddSource(Source.Name).AddAspNetCoreInstrumentation().AddHttpClientInstrumentation();
            if (!string.IsNullOrEmpty(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
            {
                // Endpoint, headers and protocol come from the standard OTEL_EXPORTER_OTLP_* variables.
                tracing.AddOtlpExporter();
            }
        });
        return builder;
    }

    /// <summary><c>GET /metrics</c>: Prometheus text; with <c>Metrics:Token</c> set, only for <c>Authorization: Bearer TOKEN</c>.</summary>
    public static WebApplication UseMetricsEndpoint(this WebApplication app)
    {
        var token = app.Configuration["Metrics:Token"] is { Length: > 0 } configured ? Encoding.UTF8.GetBytes("Bearer " + configured) : null;
        app.UseOpenTelemetryPrometheusScrapingEndpoint(meterProvider: null, predicate: null, path: "/metrics",
            configureBranchedPipeline: branch => branch.Use(async (context, next) =>
            {
                if (token is not null &&
                    !CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(context.Request.Headers.Authorization.ToString()), token))
                {
                    await new Kernel.Failure(401, ErrorCodes.Unauthorized, "GET /metrics needs Authorization: Bearer with the configured Metrics:Token.")
                        .ToProblem().ExecuteAsync(context);
                    return;
                }
                context.Response.Headers.CacheControl = "no-store";
                await next(context);
            }),
            optionsName: null);
        return app;
    }
}
