namespace SqlStudio.Desktop.Workspace;

/// <summary>Messages that do not block work (role="alert"): what happened and what to do.</summary>
public sealed class Toasts
{
    public sealed record Toast(long Id, string Message, bool IsError);

    private long _next;
    private readonly List<Toast> _items = [];

    public event Action? Changed;

    public IReadOnlyList<Toast> Items
    {
        get
        {
            lock (_items)
            {
                return _items.ToList();
            }
        }
    }

    public void Show(string message, bool isError = false)
    {
        lock (_items)
        {
            _items.Add(new Toast(Interlocked.Increment(ref _next), message, isError));
            if (_items.Count > 5)
            {
                _items.RemoveAt(0);
            }
        }
        Changed?.Invoke();
    }

    public void Dismiss(long id)
    {
        lock (_items)
        {
            _items.RemoveAll(t => t.Id == id);
        }
        Changed?.Invoke();
    }
}
