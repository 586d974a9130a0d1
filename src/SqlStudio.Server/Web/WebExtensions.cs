using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Scalar.AspNetCore;

namespace SqlStudio.Server.Web;

public sealed class ServerOptions
{
    public const string Section = "Server";

    /// <summary>Largest request body any endpoint accepts; larger ones get a 413 problem.</summary>
    [Range(1024L, long.MaxValue, ErrorMessage = "must be at least 1024 bytes.")]
    public long MaxRequestBodyBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>Longest request target (path and query) answered; longer ones get a 414 problem.</summary>
    [Range(1024, 1048576, ErrorMessage = "must be between {1} and {2} bytes.")]
    public int MaxRequestTargetBytes { get; set; } = 8 * 1024;

    /// <summary>Largest total of request headers answered; more get a 431 problem.</summary>
    [Range(1024, 1048576, ErrorMessage = "must be between {1} and {2} bytes.")]
    public int MaxRequestHeadersBytes { get; set; } = 32 * 1024;
}

public static class WebExtensions
{
    /// <summary>JSON in snake_case, Problem Details everywhere, body limits, JSON logs, OpenAPI, pages.</summary>
    public static WebApplicationBuilder AddWebDefaults(this WebApplicationBuilder builder)
    {
        builder.Services.AddSettings<ServerOptions>(builder.Configuration, ServerOptions.Section);
        builder.Services.AddSingleton<StaticAssets>();
        builder.Services.AddScoped<HeaderRefresh>();
        builder.Services.AddOptions<KestrelServerOptions>().Configure<ServerOptions>((o, serverOptions) =>
        {
            o.AddServerHeader = false;
            // Kestrel's own refusals (a NUL in a header, %00 in the path) get a Problem Details body too.
            o.ConfigureEndpointDefaults(KestrelRejections.Use);
            o.Limits.MaxRequestBodySize = serverOptions.MaxRequestBodyBytes;
            // Kestrel refuses what is past its own limits with an empty body, before any middleware runs. They sit at four
            // times ours, so a request line or headers over our limits reach RequestLimits and get a Problem Details
            // answer; past Kestrel's, KestrelRejections gives its empty answer a Problem Details body (memory stays bounded either way).
            o.Limits.MaxRequestLineSize = Math.Max(o.Limits.MaxRequestLineSize, serverOptions.MaxRequestTargetBytes * 4);
            o.Limits.MaxRequestHeadersTotalSize = Math.Max(o.Limits.MaxRequestHeadersTotalSize, serverOptions.MaxRequestHeadersBytes * 4);
        });

        builder.Logging.ClearProviders();
        // One JSON object a line where a collector reads the output (redirected: a service, a container), readable lines
        // for a person at a terminal; Logging:Console:FormatterName (json, simple, systemd) chooses either way.
        var formatter = builder.Configuration["Logging:Console:FormatterName"] is { Length: > 0 } chosen ? chosen
            : Console.IsOutputRedirected ? Microsoft.Extensions.Logging.Console.ConsoleFormatterNames.Json
            : Microsoft.Extensions.Logging.Console.ConsoleFormatterNames.Simple;
        builder.Services.Configure<Microsoft.Extensions.Logging.Console.JsonConsoleFormatterOptions>(o =>
        {
            // Scopes carry the request id and trace id ASP.NET Core opens for every request.
            o.IncludeScopes = true;
            o.UseUtcTimestamp = true;
            o.TimestampFormat = SqlStudio.Contracts.WireTime.Format;
        });
        builder.Services.Configure<Microsoft.Extensions.Logging.Console.SimpleConsoleFormatterOptions>(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss ";
        });
        builder.Logging.AddConsole(o => o.FormatterName = formatter);

        builder.Services.Configure<JsonOptions>(o =>
        {
            o.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
            o.SerializerOptions.DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.Never;
        });
        // Bad JSON and bad parameters throw, so the exception handler answers them as Problem Details.
        builder.Services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        builder.Services.AddProblemDetails(o => o.CustomizeProblemDetails = ProblemCodes.Customize);
        builder.Services.AddExceptionHandler<ProblemExceptionHandler>();

        builder.Services.AddOpenApi(OpenApiContract.Configure);
        builder.Services.AddRazorComponents();
        return builder;
    }

    /// <summary><c>Server:TrustedProxies</c>: comma-separated addresses or CIDR networks (a bad entry stops start-up, naming the key).</summary>
    public static List<System.Net.IPNetwork> TrustedProxies(IConfiguration configuration)
    {
        var networks = new List<System.Net.IPNetwork>();
        foreach (var entry in (configuration["Server:TrustedProxies"] ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (System.Net.IPNetwork.TryParse(entry, out var network))
            {
                networks.Add(network);
            }
            else if (System.Net.IPAddress.TryParse(entry, out var address))
            {
                networks.Add(new System.Net.IPNetwork(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128));
            }
            else
            {
                throw new InvalidOperationException($"Server:TrustedProxies: '{entry}' is neither an IP address nor a CIDR network (e.g. 10.0.0.0/8).");
            }
        }
        return networks;
    }

    public static WebApplication UseWebDefaults(this WebApplication app)
    {
        if (app.Configuration.GetValue<bool>("Server:TrustForwardedHeaders"))
        {
            // Behind a TLS-terminating proxy: the scheme and client address come from X-Forwarded-*, so cookies
            // are marked Secure and rate limits see the real client — but only when the connection comes from one of
            // Server:TrustedProxies (addresses or CIDR networks; loopback when unset). Anyone else's X-Forwarded-For is
            // ignored, so a client cannot pick the address its rate limits are counted under.
            var forwarded = new ForwardedHeadersOptions
            {
                ForwardedHeaders = Microsoft.AspNetCore.HttpOverrides.ForwardedHeaders.XForwardedFor |
                                   Microsoft.AspNetCore.HttpOverrides.ForwardedHeaders.XForwardedProto,
            };
            var trusted = TrustedProxies(app.Configuration);
            if (trusted.Count > 0)
            {
                forwarded.KnownIPNetworks.Clear();
                forwarded.KnownProxies.Clear();
                foreach (var network in trusted)
                {
                    forwarded.KnownIPNetworks.Add(network);
                }
            }
            app.UseForwardedHeaders(forwarded);
        }
        app.UseExceptionHandler();
        app.UseStatusCodePages(ErrorPages.StatusCodePageAsync);
        // Routing after the status code pages, so a browser's error page re-executed as /error/{status} is routed.
        app.UseRouting();
        app.UseMiddleware<RequestLimits>();
        app.UseMiddleware<SecurityHeaders>();
        app.UseWhen(context => StaticAssets.IsStatic(context.Request.Path), branch => branch.UseResponseCompression());
        app.UseStaticFiles(new StaticFileOptions { OnPrepareResponse = StaticAssets.CacheHeaders });
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseAntiforgery();
        return app;
    }

    public static WebApplication MapWebShell(this WebApplication app)
    {
        app.MapOpenApi("/openapi/{documentName}.json");
        app.MapScalarApiReference("/docs/api", o =>
        {
            o.WithTitle("SQL Studio Cloud API").WithOpenApiRoutePattern("/openapi/{documentName}.json");
            // A reference for the people who use the API: no developer toolbar (Deploy, Generate SDK), no AI chat or MCP
            // panel, and the system fonts instead of fonts from a CDN the content security policy (rightly) refuses.
            o.ShowDeveloperTools = DeveloperToolsVisibility.Never;
            o.Agent = new ScalarAgentOptions { Disabled = true };
            o.Mcp = new ScalarMcpOptions { Disabled = true };
            o.DefaultFonts = false;
            o.HeadContent = "<script>document.documentElement.lang = 'en';</script>";
        });
        app.MapRazorComponents<Components.App>();
        return app;
    }
}

/// <summary>414 and 431 as Problem Details (through the status code pages) for request lines and headers over our limits.</summary>
internal sealed class RequestLimits(RequestDelegate next, ServerOptions limits)
{
    /// <summary>How much of a refused request's body is read and thrown away so the client hears the answer.</summary>
    private const long DrainLimit = 1024 * 1024;

    public Task InvokeAsync(HttpContext context)
    {
        var target = context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpRequestFeature>()?.RawTarget ?? "";
        if (target.Length > limits.MaxRequestTargetBytes)
        {
            return RefuseAsync(context, StatusCodes.Status414UriTooLong);
        }
        var headers = 0L;
        foreach (var (name, values) in context.Request.Headers)
        {
            headers += name.Length + 4;
            foreach (var value in values)
            {
                headers += value?.Length ?? 0;
            }
        }
        if (headers > limits.MaxRequestHeadersBytes)
        {
            return RefuseAsync(context, StatusCodes.Status431RequestHeaderFieldsTooLarge);
        }
        return next(context);
    }

    /// <summary>
    /// Reads (and drops) what the client is still sending, up to a megabyte and five seconds, before answering: a client
    /// still writing its body when the server answers and closes sees a reset connection instead of the Problem Details.
    /// </summary>
    private static async Task RefuseAsync(HttpContext context, int status)
    {
        if (context.Request.ContentLength is null or > 0 and <= DrainLimit && context.Request.Body.CanRead)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
            timeout.CancelAfter(TimeSpan.FromSeconds(5));
            var buffer = new byte[16 * 1024];
            long read = 0;
            try
            {
                int n;
                while (read <= DrainLimit && (n = await context.Request.Body.ReadAsync(buffer, timeout.Token)) > 0)
                {
                    read += n;
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException or Microsoft.AspNetCore.Http.BadHttpRequestException)
            {
                // The client stopped sending or went away: answer what can be answered.
            }
        }
        context.Response.StatusCode = status;
    }
}

/// <summary>Headers every response carries; the pages get a strict content security policy.</summary>
internal sealed class SecurityHeaders(RequestDelegate next, SqlStudio.Server.Auth.Captcha.CaptchaOptions captcha)
{
    // Turnstile is the one third-party script a page may load, and only when it is the configured CAPTCHA.
    private readonly string _pagePolicy = captcha.Provider.Equals("turnstile", StringComparison.OrdinalIgnoreCase)
        ? "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self' https://challenges.cloudflare.com; " +
          "frame-src https://challenges.cloudflare.com; connect-src 'self' https://challenges.cloudflare.com; object-src 'none'; " +
          "frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
        : "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; worker-src 'self'; object-src 'none'; " +
          "frame-ancestors 'none'; base-uri 'self'; form-action 'self'";

    public Task InvokeAsync(HttpContext context)
    {
        var headers = context.Response.Headers;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "strict-origin-when-cross-origin";
        // The API reference page runs the Scalar bundle, which needs inline styles; it has its own policy.
        headers.ContentSecurityPolicy = context.Request.Path.StartsWithSegments("/docs/api")
            ? "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self' 'unsafe-inline'; font-src 'self' data:; frame-ancestors 'none'"
            // Billing forms redirect to Stripe's hosted checkout and portal (form-action covers redirects).
            : context.Request.Path.StartsWithSegments("/billing") ? _pagePolicy.Replace("form-action 'self'", "form-action 'self' https:")
            : _pagePolicy;
        return next(context);
    }
}
