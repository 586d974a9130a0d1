namespace SqlStudio.Server.Sync;

/// <summary>
/// One turn at a time per account on this instance: pushes for the same account wait in order instead of racing for
/// its cursor and bouncing. Entries exist only while someone holds or waits for them, so memory follows the number of
/// accounts pushing right now, not the number of accounts.
/// </summary>
public sealed class AccountGate
{
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    private sealed class Entry
    {
        public readonly SemaphoreSlim Semaphore = new(1, 1);
        public int Users;
    }

    /// <summary>The turn, to dispose when done; null when it did not come within <paramref name="wait"/>.</summary>
    public async Task<IDisposable?> WaitAsync(string key, TimeSpan wait, CancellationToken cancellationToken)
    {
        Entry entry;
        lock (_entries)
        {
            if (!_entries.TryGetValue(key, out entry!))
            {
                _entries[key] = entry = new Entry();
            }
            entry.Users++;
        }
        var entered = false;
        try
        {
            entered = await entry.Semaphore.WaitAsync(wait, cancellationToken);
        }
        finally
        {
            if (!entered)
            {
                Leave(key, entry, release: false);
            }
        }
        return entered ? new Turn(this, key, entry) : null;
    }

    private void Leave(string key, Entry entry, bool release)
    {
        if (release)
        {
            entry.Semaphore.Release();
        }
        lock (_entries)
        {
            if (--entry.Users == 0)
            {
                _entries.Remove(key);
            }
        }
    }

    private sealed class Turn(AccountGate gate, string key, Entry entry) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                gate.Leave(key, entry, release: true);
            }
        }
    }
}
