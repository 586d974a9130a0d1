namespace SqlStudio.Sync;

public sealed partial class SyncManager
{
    /// <summary>The newest server cursor this device has pulled up to (or pushed to), for skipping the echo of its own commits.</summary>
    private long _knownCursor = -1;

    /// <summary>1 when an event said the server is ahead of this device: the worker's next round pulls without a head call.</summary>
    private int _remoteAhead;

    /// <summary>Stream connections opened (for tests and the status page).</summary>
    public int StreamConnections => _listener.StreamConnections;

    bool IListenerHost.Paused => _paused;

    string? IListenerHost.DeviceId => _deviceId;

    long IListenerHost.KnownCursor => Interlocked.Read(ref _knownCursor);

    SyncState IListenerHost.State => Status.State;

    void IListenerHost.RemoteAhead()
    {
        Interlocked.Exchange(ref _remoteAhead, 1);
        Wake();
    }

    void IListenerHost.Wake() => Wake();

    async Task IListenerHost.WaitForRoundAsync(CancellationToken ct)
    {
        await _round.WaitAsync(ct);
        _round.Release();
    }
}
