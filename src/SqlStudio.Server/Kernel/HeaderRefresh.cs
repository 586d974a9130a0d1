namespace SqlStudio.Server.Kernel;

/// <summary>
/// One page render's word to the header: the page changed what the header shows (a conflict resolved, an email
/// confirmed that turns sync on). The header renders before the page handles its form, so without it the header
/// would describe the account as it was before the click ("1 conflict" above "Conflicts to review (0)").
/// </summary>
public sealed class HeaderRefresh
{
    private readonly List<Func<Task>> _listeners = [];

    public void Subscribe(Func<Task> listener) => _listeners.Add(listener);

    /// <summary>Awaited by the page, so the header's new state is rendered in the same response.</summary>
    public async Task ChangedAsync()
    {
        foreach (var listener in _listeners)
        {
            await listener();
        }
    }
}
