using SqlStudio.Desktop.Host;

namespace SqlStudio.Desktop.Workspace;

public static class WorkspaceExtensions
{
    /// <summary>The app's services: the SDK's workspace and what the SQL client does with it.</summary>
    public static IServiceCollection AddWorkspace(this IServiceCollection services, LaunchOptions options)
    {
        services.AddSingleton<WorkspaceStore>();
        services.AddSingleton<Connections>();
        services.AddSingleton<SchemaReader>();
        services.AddSingleton<History>();
        services.AddSingleton<SavedQueries>();
        services.AddSingleton<QueryTabs>();
        services.AddSingleton<Preferences>();
        services.AddSingleton<AiChats>();
        services.AddSingleton(TimeProvider.System);
        // Per window (circuit): the tabs' running queries and what the window shows.
        services.AddScoped<QueryRunner>();
        services.AddScoped<Toasts>();
        return services;
    }
}
