using SqlStudio.Desktop.Components.Shared;
using SqlStudio.Desktop.Workspace;

namespace SqlStudio.Desktop.Components.Pages;

/// <summary>
/// The workbench: connections, saved queries and history in the sidebar; tabs of editors; the results under them. It
/// renders state and raises intents; the workspace services do the work.
/// </summary>
public sealed partial class Workbench
{
    private IReadOnlyList<ConnectionDetails> _connections = [];
    private List<QueryTab> _tabs = [];
    private string? _activeTabId;
    private AppPreferences _prefs = AppPreferences.Defaults;
    private readonly HashSet<string> _expanded = [];
    private readonly Dictionary<string, IReadOnlyList<SchemaTable>> _schemas = [];
    private readonly Dictionary<string, Dictionary<string, string[]>> _completions = [];
    private readonly Dictionary<string, string> _schemaProblems = [];
    private SqlEditor? _editor;
    private SavedQueriesPanel? _savedPanel;
    private HistoryPanel? _historyPanel;
    private bool _showConnection;
    private ConnectionDetails? _editConnection;
    private bool _showSave;
    private bool _showSettings;
    private bool _showChats;
    private ConnectionDetails? _askPassword;
    private (string Sql, ConnectionDetails Connection)? _afterPassword;
    private bool _renaming;
    private string? _newTitle;
    private readonly HashSet<string> _watched = [];

    private QueryTab? ActiveTab => _tabs.FirstOrDefault(t => t.Id == _activeTabId);

    protected override async Task OnInitializedAsync()
    {
        _prefs = await Preferences.GetAsync();
        _connections = await Connections.ListAsync();
        _tabs = (await Tabs.ListAsync()).ToList();
        if (_tabs.Count == 0)
        {
            _tabs.Add(await Tabs.NewAsync(content: "", connectionId: _connections.FirstOrDefault()?.Id));
        }
        SelectTab(_tabs[0].Id);
    }

    /// <summary>The editor hands its text over after a pause in typing: before anything that reads or leaves the tab, take it now.</summary>
    private async Task FlushEditorAsync()
    {
        if (_editor is not null && ActiveTab is not null)
        {
            var shown = await _editor.ReadAsync();
            await TextChangedAsync((shown.Tab, shown.Text));
        }
    }

    private async Task SwitchTabAsync(string id)
    {
        if (id != _activeTabId)
        {
            await FlushEditorAsync();
            SelectTab(id);
        }
    }

    private async Task ShowSaveAsync()
    {
        await FlushEditorAsync();
        _showSave = true;
    }

    private void SelectTab(string id)
    {
        _activeTabId = id;
        _renaming = false;
        var query = Runner.For(id);
        if (_watched.Add(id))
        {
            query.Changed += Refresh;
        }
    }

    private void Refresh() => InvokeAsync(StateHasChanged);

    private async Task NewTabAsync()
    {
        await FlushEditorAsync();
        var tab = await Tabs.NewAsync(connectionId: ActiveTab?.ConnectionId ?? _connections.FirstOrDefault()?.Id);
        _tabs.Add(tab);
        SelectTab(tab.Id);
    }

    private async Task CloseTabAsync(string id)
    {
        var index = _tabs.FindIndex(t => t.Id == id);
        await Runner.CloseAsync(id);
        await Tabs.CloseAsync(id);
        _tabs.RemoveAll(t => t.Id == id);
        if (_tabs.Count == 0)
        {
            _tabs.Add(await Tabs.NewAsync(connectionId: _connections.FirstOrDefault()?.Id));
        }
        if (_activeTabId == id)
        {
            SelectTab(_tabs[Math.Clamp(index, 0, _tabs.Count - 1)].Id);
        }
    }

    /// <summary>On a tab: Delete closes it, arrows move between tabs.</summary>
    private async Task TabKeyAsync(Microsoft.AspNetCore.Components.Web.KeyboardEventArgs e, string id)
    {
        var index = _tabs.FindIndex(t => t.Id == id);
        switch (e.Key)
        {
            case "Delete":
                await CloseTabAsync(id);
                break;
            case "ArrowRight" when index + 1 < _tabs.Count:
                await SwitchTabAsync(_tabs[index + 1].Id);
                break;
            case "ArrowLeft" when index > 0:
                await SwitchTabAsync(_tabs[index - 1].Id);
                break;
        }
    }

    private async Task RenameAsync()
    {
        if (ActiveTab is { } tab && !string.IsNullOrWhiteSpace(_newTitle))
        {
            var renamed = tab with { Title = _newTitle.Trim() };
            await Tabs.RenameAsync(tab.Id, renamed.Title);
            Replace(renamed);
        }
        _renaming = false;
    }

    private async Task MoveTabAsync(int by)
    {
        if (_activeTabId is { } id)
        {
            await Tabs.MoveAsync(id, by);
            _tabs = (await Tabs.ListAsync()).ToList();
        }
    }

    private async Task TextChangedAsync((string TabId, string Text) change)
    {
        if (_tabs.FirstOrDefault(t => t.Id == change.TabId) is { } tab && tab.Content != change.Text)
        {
            Replace(tab with { Content = change.Text });
            await Tabs.SetContentAsync(tab.Id, change.Text);
        }
    }

    private async Task UseConnectionAsync(string? connectionId)
    {
        if (ActiveTab is not { } tab)
        {
            return;
        }
        var chosen = string.IsNullOrEmpty(connectionId) ? null : connectionId;
        Replace(tab with { ConnectionId = chosen });
        await Tabs.SetConnectionAsync(tab.Id, chosen);
        if (_connections.FirstOrDefault(c => c.Id == chosen) is { } connection && !_completions.ContainsKey(connection.Id))
        {
            _ = LoadSchemaQuietlyAsync(connection);
        }
    }

    private async Task RunAsync()
    {
        if (_editor is not null && ActiveTab is { } tab)
        {
            // The editor may still show the tab just left (its text not yet handed over): then the tab's own text runs.
            var shown = await _editor.ReadAsync();
            await RunTextAsync(shown.Tab == tab.Id ? (shown.Run, shown.Text) : (tab.Content, tab.Content));
        }
    }

    private async Task RunTextAsync((string RunText, string FullText) text)
    {
        if (ActiveTab is not { } tab)
        {
            return;
        }
        await TextChangedAsync((tab.Id, text.FullText));
        if (_connections.FirstOrDefault(c => c.Id == tab.ConnectionId) is not { } connection)
        {
            Toasts.Show("Choose a connection for this tab first (the Connection list above the editor).", isError: true);
            return;
        }
        if (connection.NeedsPassword && !await Connections.HasPasswordAsync(connection.Id))
        {
            _askPassword = connection;
            _afterPassword = (text.RunText, connection);
            return;
        }
        _ = StartAsync(tab.Id, connection, text.RunText);
    }

    /// <summary>Runs in the background: the window stays live (Cancel, other tabs) while the database works.</summary>
    private async Task StartAsync(string tabId, ConnectionDetails connection, string sql)
    {
        try
        {
            await Runner.For(tabId).RunAsync(connection, sql, _prefs.RowLimit);
            if (_historyPanel is not null)
            {
                await InvokeAsync(_historyPanel.ReloadAsync);
            }
        }
        catch (Exception ex)
        {
            Toasts.Show($"The query could not run: {ex.Message}", isError: true);
        }
    }

    private async Task PasswordSavedAsync()
    {
        _askPassword = null;
        if (_afterPassword is { } pending)
        {
            _afterPassword = null;
            _ = StartAsync(_activeTabId!, pending.Connection, pending.Sql);
        }
        await Task.CompletedTask;
    }

    private async Task ToggleSchemaAsync(ConnectionDetails connection)
    {
        if (!_expanded.Remove(connection.Id))
        {
            _expanded.Add(connection.Id);
            if (!_schemas.ContainsKey(connection.Id))
            {
                await LoadSchemaAsync(connection);
            }
        }
    }

    private async Task LoadSchemaAsync(ConnectionDetails connection)
    {
        if (connection.NeedsPassword && !await Connections.HasPasswordAsync(connection.Id))
        {
            _askPassword = connection;
            return;
        }
        _schemaProblems.Remove(connection.Id);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            var tables = await SchemaReader.ReadAsync(connection, timeout.Token);
            _schemas[connection.Id] = tables;
            _completions[connection.Id] = SchemaReader.Completion(tables, connection.Driver);
        }
        catch (ConnectionProblem problem)
        {
            _schemaProblems[connection.Id] = problem.Message;
        }
        catch (Exception ex) when (ex is System.Data.Common.DbException or OperationCanceledException)
        {
            _schemaProblems[connection.Id] = $"The schema could not be read: {ex.Message}";
        }
    }

    private async Task LoadSchemaQuietlyAsync(ConnectionDetails connection)
    {
        if (!connection.NeedsPassword || await Connections.HasPasswordAsync(connection.Id))
        {
            await LoadSchemaAsync(connection);
            await InvokeAsync(StateHasChanged);
        }
    }

    private async Task ConnectionSavedAsync(ConnectionDetails saved)
    {
        _showConnection = false;
        _connections = await Connections.ListAsync();
        _schemas.Remove(saved.Id);
        _completions.Remove(saved.Id);
        if (ActiveTab is { ConnectionId: null })
        {
            await UseConnectionAsync(saved.Id);
        }
        Toasts.Show($"Saved {saved.Name}.");
    }

    private async Task DeleteConnectionAsync(ConnectionDetails connection)
    {
        await Connections.DeleteAsync(connection.Id);
        _connections = await Connections.ListAsync();
        Toasts.Show($"Deleted {connection.Name}. Its saved queries and history stay.");
    }

    private async Task QuerySavedAsync(SavedQuery query)
    {
        _showSave = false;
        if (_savedPanel is not null)
        {
            await _savedPanel.ReloadAsync();
        }
        Toasts.Show($"Saved \"{query.Title}\".");
    }

    private async Task OpenSavedAsync(SavedQuery query)
    {
        await FlushEditorAsync();
        var tab = await Tabs.NewAsync(query.Title, query.Sql, query.ConnectionId ?? ActiveTab?.ConnectionId);
        _tabs.Add(tab);
        SelectTab(tab.Id);
    }

    private async Task OpenHistoryAsync(HistoryEntry entry)
    {
        await FlushEditorAsync();
        var tab = await Tabs.NewAsync(null, entry.Sql, entry.ConnectionId ?? ActiveTab?.ConnectionId);
        _tabs.Add(tab);
        SelectTab(tab.Id);
    }

    private async Task SettingsSavedAsync()
    {
        _showSettings = false;
        _prefs = await Preferences.GetAsync();
        Toasts.Show("Settings saved.");
    }

    private void Replace(QueryTab tab)
    {
        var index = _tabs.FindIndex(t => t.Id == tab.Id);
        if (index >= 0)
        {
            _tabs[index] = tab;
        }
    }

    public void Dispose()
    {
        foreach (var id in _watched)
        {
            Runner.For(id).Changed -= Refresh;
        }
    }
}
