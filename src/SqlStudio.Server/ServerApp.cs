using SqlStudio.Server.Bus;
using SqlStudio.Server.Account;
using SqlStudio.Server.Auth;
using SqlStudio.Server.Auth.OAuth;
using SqlStudio.Server.Beta;
using SqlStudio.Server.Billing;
using SqlStudio.Server.Data;
using SqlStudio.Server.Email;
using SqlStudio.Server.Observability;
using SqlStudio.Server.Sync;
using SqlStudio.Server.Web;

namespace SqlStudio.Server;

/// <summary>Builds the web application. Program.cs runs it; the tests start it on a loopback port.</summary>
public static class ServerApp
{
    public static WebApplicationBuilder CreateBuilder(string[] args)
    {
        // Content (pages' static files, appsettings.json) is read from beside the binary, so the server behaves
        // the same from `dotnet run`, from the built dll and from the tests; data paths stay relative to the
        // working directory, where an operator expects `data/` to appear.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            ContentRootPath = AppContext.BaseDirectory,
            WebRootPath = Path.Combine(AppContext.BaseDirectory, "wwwroot"),
            ApplicationName = typeof(ServerApp).Assembly.GetName().Name,
        });
        builder.Services.AddSingleton(TimeProvider.System);
        builder.AddWebDefaults();
        builder.AddData();
        builder.AddEmail();
        builder.AddBus();
        builder.AddAuth();
        builder.AddSync();
        builder.AddBilling();
        builder.AddAccountData();
        builder.AddBeta();
        builder.AddTelemetry();
        return builder;
    }

    public static WebApplication Build(WebApplicationBuilder builder, Action<WebApplication>? mapMore = null)
    {
        var app = builder.Build();
        // Every section checked before anything reads one (UseDbRoundTrips reads Database), all failures at once.
        app.Services.GetService<Microsoft.Extensions.Options.IStartupValidator>()?.Validate();
        app.UseDbRoundTrips();
        app.UseMetricsEndpoint();
        app.UseWebDefaults();
        app.UseSyncWire();
        app.MapHealth();
        app.MapAuthApi();
        app.MapOAuthApi();
        app.MapSyncApi();
        app.MapBillingApi();
        app.MapAccountDataApi();
        app.MapBetaApi();
        mapMore?.Invoke(app);
        app.MapWebShell();
        return app;
    }
}
