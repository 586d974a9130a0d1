using SqlStudio.Testing;
using SqlStudio.Desktop.Host;
using SqlStudio.Desktop.Workspace;

namespace SqlStudio.Desktop.Tests;

/// <summary>The app's workspace services on a data folder of their own, without a window (what the components call).</summary>
public sealed class Workspaces : IAsyncDisposable
{
    private Workspaces(string home)
    {
        Home = home;
        Options = new LaunchOptions(home, new Uri("http://127.0.0.1:9"), 0, true);
        Store = new WorkspaceStore(Options);
        Connections = new Connections(Store);
        History = new History(Store, TimeProvider.System);
        Runner = new QueryRunner(Connections, History);
        Schema = new SchemaReader(Connections);
        Saved = new SavedQueries(Store);
        Tabs = new QueryTabs(Store);
    }

    public string Home { get; }
    public LaunchOptions Options { get; }
    public WorkspaceStore Store { get; }
    public Connections Connections { get; }
    public History History { get; }
    public QueryRunner Runner { get; }
    public SchemaReader Schema { get; }
    public SavedQueries Saved { get; }
    public QueryTabs Tabs { get; }

    public static Workspaces Create(string? home = null) => new(home ?? DesktopProcess.NewHome());

    public async ValueTask DisposeAsync()
    {
        await Runner.DisposeAsync();
        await Store.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    }
}
