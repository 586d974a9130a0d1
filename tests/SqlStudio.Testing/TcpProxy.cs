using System.Net;
using System.Net.Sockets;
using System.Text;

namespace SqlStudio.Testing;

/// <summary>
/// A loopback TCP proxy in front of a server, for what crosses a network: it can cut every open connection (a Wi-Fi
/// drop), hold back the answers of event-stream requests (a proxy that buffers streams), and add latency one way
/// (a database far away).
/// </summary>
public sealed class TcpProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly List<(TcpClient Client, TcpClient Upstream)> _open = [];
    private readonly Uri _target;
    private readonly Task _accepting;

    public TcpProxy(Uri target)
    {
        _target = target;
        _listener.Start();
        Address = new Uri($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}");
        _accepting = AcceptAsync();
    }

    public Uri Address { get; }

    /// <summary>Answers to <c>GET /api/sync/events</c> are held back until the connection ends, as a buffering proxy does.</summary>
    public bool BufferEventStreams { get; set; }

    /// <summary>Added before every chunk sent towards the target (one way).</summary>
    public TimeSpan Latency { get; set; }

    /// <summary>Closes every open connection at once; new ones are accepted as before.</summary>
    public void CutAll()
    {
        lock (_open)
        {
            foreach (var (client, upstream) in _open)
            {
                client.Close();
                upstream.Close();
            }
            _open.Clear();
        }
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException)
            {
                continue;
            }
            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        var upstream = new TcpClient { NoDelay = true };
        client.NoDelay = true;
        try
        {
            await upstream.ConnectAsync(_target.Host, _target.Port, _stop.Token);
        }
        catch (Exception)
        {
            client.Close();
            upstream.Dispose();
            return;
        }
        lock (_open)
        {
            _open.Add((client, upstream));
        }
        var isStream = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var up = PumpAsync(client.GetStream(), upstream.GetStream(), towardsTarget: true, isStream);
        var down = PumpAsync(upstream.GetStream(), client.GetStream(), towardsTarget: false, isStream);
        await Task.WhenAny(up, down);
        client.Close();
        upstream.Close();
        lock (_open)
        {
            _open.Remove((client, upstream));
        }
    }

    private async Task PumpAsync(Stream from, Stream to, bool towardsTarget, TaskCompletionSource<bool> isStream)
    {
        if (towardsTarget && Latency > TimeSpan.Zero)
        {
            await DelayedPumpAsync(from, to, isStream);
            return;
        }
        var buffer = new byte[16 * 1024];
        var held = new MemoryStream();
        try
        {
            while (true)
            {
                var read = await from.ReadAsync(buffer, _stop.Token);
                if (read == 0)
                {
                    break;
                }
                if (towardsTarget)
                {
                    isStream.TrySetResult(Encoding.ASCII.GetString(buffer, 0, Math.Min(read, 64)).StartsWith("GET /api/sync/events", StringComparison.Ordinal));
                }
                else if (BufferEventStreams && isStream.Task.IsCompleted && isStream.Task.Result)
                {
                    held.Write(buffer, 0, read);
                    continue;
                }
                await to.WriteAsync(buffer.AsMemory(0, read), _stop.Token);
            }
            if (held.Length > 0)
            {
                await to.WriteAsync(held.ToArray(), _stop.Token);
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException or SocketException)
        {
        }
    }

    /// <summary>
    /// One-way delay as a network has it: every chunk leaves <see cref="Latency"/> after it arrived, and chunks in
    /// flight overlap (a large body is delayed once, not once per chunk).
    /// </summary>
    private async Task DelayedPumpAsync(Stream from, Stream to, TaskCompletionSource<bool> isStream)
    {
        var queue = System.Threading.Channels.Channel.CreateUnbounded<(long Due, byte[] Data)>();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var sender = Task.Run(async () =>
        {
            try
            {
                await foreach (var (due, data) in queue.Reader.ReadAllAsync(_stop.Token))
                {
                    var wait = due - clock.ElapsedTicks;
                    if (wait > 0)
                    {
                        await Task.Delay(TimeSpan.FromTicks(wait * TimeSpan.TicksPerSecond / System.Diagnostics.Stopwatch.Frequency), _stop.Token);
                    }
                    await to.WriteAsync(data, _stop.Token);
                }
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException or SocketException)
            {
            }
        });
        var buffer = new byte[64 * 1024];
        var latencyTicks = (long)(Latency.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);
        try
        {
            while (true)
            {
                var read = await from.ReadAsync(buffer, _stop.Token);
                if (read == 0)
                {
                    break;
                }
                isStream.TrySetResult(false);
                await queue.Writer.WriteAsync((clock.ElapsedTicks + latencyTicks, buffer.AsSpan(0, read).ToArray()), _stop.Token);
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException or SocketException)
        {
        }
        queue.Writer.TryComplete();
        await sender;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        CutAll();
        try
        {
            await _accepting;
        }
        catch (OperationCanceledException)
        {
        }
    }
}
