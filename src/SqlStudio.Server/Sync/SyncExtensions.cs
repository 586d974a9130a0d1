using System.IO.Compression;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.ResponseCompression;
using Microsoft.Extensions.Options;

namespace SqlStudio.Server.Sync;

public static class SyncExtensions
{
    public static WebApplicationBuilder AddSync(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        var configuration = builder.Configuration;
        services.AddSettings<SyncOptions>(configuration, SyncOptions.Section);
        services.AddSingleton<SyncMetrics>();
        services.AddSingleton<Devices>();
        services.AddSingleton<PushService>();
        services.AddSingleton<AccountGate>();
        services.AddSingleton<PullService>();
        services.AddSingleton<ConflictService>();
        services.AddSingleton<ImportService>();
        services.AddSingleton<IntegrityService>();
        services.AddSingleton<SyncSettings>();
        services.AddSingleton<SyncOverviewStore>();
        services.AddSingleton<TombstonePurger>();
        services.AddSingleton<SyncEventHub>();
        services.AddHostedService(sp => sp.GetRequiredService<TombstonePurger>());

        services.AddResponseCompression(o =>
        {
            o.EnableForHttps = true;
            o.Providers.Add<BrotliCompressionProvider>();
            o.Providers.Add<GzipCompressionProvider>();
            o.MimeTypes = ResponseCompressionDefaults.MimeTypes.Concat(["application/problem+json"]);
        });
        services.Configure<BrotliCompressionProviderOptions>(o => o.Level = CompressionLevel.Fastest);
        services.Configure<GzipCompressionProviderOptions>(o => o.Level = CompressionLevel.Fastest);
        services.AddRequestDecompression(GuardedDecompression.Guard);
        return builder;
    }

    /// <summary>
    /// For /api/sync only: per-endpoint body limits, gzip/brotli request bodies, compressed responses. (Pages
    /// and auth responses stay uncompressed: they reflect input next to secrets, the BREACH pattern.)
    /// </summary>
    public static WebApplication UseSyncWire(this WebApplication app)
    {
        app.UseWhen(context => context.Request.Path.StartsWithSegments("/api/sync"), branch =>
        {
            branch.Use((context, next) =>
            {
                if (context.GetEndpoint()?.Metadata.GetMetadata<BodySizeLimit>() is { } limit &&
                    context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
                {
                    feature.MaxRequestBodySize = limit.Bytes;
                }
                return next(context);
            });
            branch.Use(async (context, next) =>
            {
                // Every sync request's duration by operation and outcome (an event stream is not a request to time).
                var op = SyncMetrics.OpOf(context.Request.Path);
                var started = System.Diagnostics.Stopwatch.GetTimestamp();
                await next(context);
                if (op != "events")
                {
                    context.RequestServices.GetRequiredService<SyncMetrics>()
                        .Request(op, context.Response.StatusCode < 400, System.Diagnostics.Stopwatch.GetElapsedTime(started));
                }
            });
            branch.UseRequestDecompression();
            branch.UseResponseCompression();
        });
        return app;
    }
}
