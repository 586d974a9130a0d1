using System.Net;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using SqlStudio.Desktop.Components;
using SqlStudio.Desktop.Workspace;
using SqlStudio.Sync;

namespace SqlStudio.Desktop.Host;

/// <summary>
/// The desktop host: the data folder (owner-only), one process per folder, a Blazor app on 127.0.0.1 behind
/// <see cref="LocalSecurity"/>, the launch line on standard output, and the app window.
/// </summary>
public static partial class DesktopHost
{
    public const string LaunchLinePrefix = "SQL Studio is running at ";

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
    {
        var (options, problem) = LaunchOptions.Parse(args, Environment.GetEnvironmentVariable);
        if (options is null)
        {
            await error.WriteLineAsync(problem);
            return problem == LaunchOptions.Usage ? 0 : 2;
        }
        try
        {
            PrivateFiles.Folder(options.Home);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            await error.WriteLineAsync($"The data folder {options.Home} cannot be used: {ex.Message}");
            return 2;
        }
        using var instance = SingleInstance.TryAcquire(options.Home);
        if (instance is null)
        {
            // Another SQL Studio owns this folder: it opens the window; this launch only says where.
            if (await SingleInstance.HandOffAsync(options.Home, !options.NoWindow, TimeSpan.FromSeconds(10)) is { } url)
            {
                await output.WriteLineAsync(LaunchLinePrefix + url);
                return 0;
            }
            await error.WriteLineAsync($"Another SQL Studio holds {options.Home} but does not answer. Close it, or start with --home another folder.");
            return 1;
        }
        await using var app = Build(options, instance);
        try
        {
            await app.StartAsync();
        }
        catch (IOException ex)
        {
            await error.WriteLineAsync($"SQL Studio cannot listen on 127.0.0.1:{options.Port}: {ex.Message.TrimEnd('.')}. Try another --port, or 0 for a free one.");
            return 1;
        }
        var session = app.Services.GetRequiredService<LocalSession>();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        session.Port = new Uri(address).Port;
        // While the window starts: open the workspace (its store, its key ring) so the first page does not wait for it.
        _ = WarmUpAsync(app.Services);
        _ = WarmUpPageAsync(session);
        instance.Announce(session.Port);
        var launch = session.LaunchUrl(session.NewLaunchToken());
        await output.WriteLineAsync(LaunchLinePrefix + launch);
        await output.FlushAsync();
        if (!options.NoWindow && AppWindow.Open(launch, options.Home) is { } notOpened)
        {
            await error.WriteLineAsync(notOpened);
        }
        await app.WaitForShutdownAsync();
        return 0;
    }

    /// <summary>
    /// The first page's path through the server, once, while the window starts: a launch token redeemed inside this
    /// process, the page and the files it names fetched, that session ended. A fresh process compiles its request
    /// pipeline and renders its first page on the first request (0.3–0.5 s on a 2-core machine); this takes that off the
    /// person's wait. Nothing leaves the process: the token and the cookie live in this client only.
    /// </summary>
    private static async Task WarmUpPageAsync(LocalSession session)
    {
        var cookies = new CookieContainer();
        var root = new Uri($"http://127.0.0.1:{session.Port}/");
        try
        {
            using var http = new HttpClient(new SocketsHttpHandler { CookieContainer = cookies, UseCookies = true }) { Timeout = TimeSpan.FromSeconds(30) };
            var page = await http.GetStringAsync(session.LaunchUrl(session.NewLaunchToken()));
            foreach (System.Text.RegularExpressions.Match file in FileReference().Matches(page))
            {
                using var _ = await http.GetAsync(new Uri(root, file.Groups["path"].Value));
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or UriFormatException)
        {
            // Only a head start: the window's own requests do the same work if this could not.
        }
        finally
        {
            session.End(cookies.GetCookies(root)[LocalSession.CookieName]?.Value);
        }
    }

    [System.Text.RegularExpressions.GeneratedRegex("(?:src|href)=\"(?<path>[^\"]+)\"")]
    private static partial System.Text.RegularExpressions.Regex FileReference();

    private static async Task WarmUpAsync(IServiceProvider services)
    {
        try
        {
            var workspace = services.GetRequiredService<WorkspaceStore>();
            await workspace.ProfileAsync();
            await services.GetRequiredService<QueryTabs>().ListAsync();
            await services.GetRequiredService<Preferences>().GetAsync();
            await services.GetRequiredService<Connections>().ListAsync();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or Microsoft.Data.Sqlite.SqliteException)
        {
            // The page opens the workspace again and says what is wrong.
        }
    }

    public static WebApplication Build(LaunchOptions options, SingleInstance? instance)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            ContentRootPath = AppContext.BaseDirectory,
            WebRootPath = Path.Combine(AppContext.BaseDirectory, "wwwroot"),
        });
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, options.Port));
        // Run from the build output (dotnet run, the tests) the framework's and npm's files are found through the build's
        // manifest; a published app has them in wwwroot and this finds no manifest and changes nothing.
        builder.WebHost.UseStaticWebAssets();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        // A host that cannot start (a taken port) is said in one sentence by RunAsync, not logged with its stack trace.
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.None);
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton<LocalSession>();
        if (instance is not null)
        {
            builder.Services.AddSingleton(instance);
        }
        builder.Services.AddWorkspace(options);
        builder.Services.AddRazorComponents().AddInteractiveServerComponents(o => o.DetailedErrors = false);
        // The antiforgery cookie is as strict as the session's.
        // The host's own key ring (antiforgery tokens) lives in the data folder too, owner-only, not in ~/.aspnet.
        builder.Services.AddDataProtection().SetApplicationName("SqlStudio.Desktop")
            .PersistKeysToFileSystem(new DirectoryInfo(PrivateFiles.Folder(Path.Combine(options.Home, "host-keys"))));
        builder.Logging.AddFilter("Microsoft.AspNetCore.DataProtection", LogLevel.Error);
        builder.Services.AddAntiforgery(o =>
        {
            o.Cookie.Name = "sqlstudio_antiforgery";
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.Cookie.HttpOnly = true;
        });

        var app = builder.Build();
        app.UseLocalSecurity();
        // Routing after the guard: a launch link is answered with the page itself (LocalSecurity), routed as "/".
        app.UseRouting();
        app.MapPost(SingleInstance.HandoffPath, HandoffAsync);
        app.UseAntiforgery();
        app.MapStaticAssets();
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
        return app;
    }

    /// <summary>A second launch on this data folder: a new launch link, and the window it asked for.</summary>
    private static IResult HandoffAsync(HttpContext context, SingleInstance.HandoffRequest request, LocalSession session, LaunchOptions options)
    {
        var instance = context.RequestServices.GetService<SingleInstance>();
        if (instance is null || !instance.IsHandoffKey(context.Request.Headers[SingleInstance.HandoffHeader]))
        {
            return Results.StatusCode(403);
        }
        var url = session.LaunchUrl(session.NewLaunchToken());
        if (request.OpenWindow)
        {
            AppWindow.Open(url, options.Home);
        }
        return Results.Json(new SingleInstance.HandoffResponse(url));
    }
}
