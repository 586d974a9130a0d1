using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using SqlStudio.Sync;

namespace SqlStudio.Desktop.Host;

/// <summary>
/// One process per data folder: the first launch holds <c>desktop.lock</c> (an exclusive lock the system drops when the
/// process ends, however it ends) and writes where it listens and a hand-off key to <c>desktop.json</c> (owner-only). A
/// second launch on the same folder asks the running one, with that key, for a new launch link (and a window), prints
/// it and exits.
/// </summary>
public sealed class SingleInstance : IDisposable
{
    public const string HandoffPath = "/_handoff";
    public const string HandoffHeader = "X-SqlStudio-Handoff";

    private readonly FileStream _lock;
    private readonly string _infoPath;

    private SingleInstance(FileStream lockFile, string infoPath)
    {
        _lock = lockFile;
        _infoPath = infoPath;
        HandoffKey = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
    }

    public string HandoffKey { get; }

    /// <summary>The lock of <paramref name="home"/>, or null when another process holds it.</summary>
    public static SingleInstance? TryAcquire(string home)
    {
        var lockPath = Path.Combine(home, "desktop.lock");
        PrivateFiles.File(lockPath);
        try
        {
            var stream = new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            return new SingleInstance(stream, Path.Combine(home, "desktop.json"));
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>Tells later launches where this one listens.</summary>
    public void Announce(int port)
    {
        PrivateFiles.File(_infoPath);
        File.WriteAllText(_infoPath, JsonSerializer.Serialize(new InstanceInfo(port, HandoffKey, Environment.ProcessId)));
    }

    public bool IsHandoffKey(string? key) =>
        key is not null && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(key), Encoding.ASCII.GetBytes(HandoffKey));

    /// <summary>From a second launch: the running instance's new launch link, or null when it does not answer.</summary>
    public static async Task<string?> HandOffAsync(string home, bool openWindow, TimeSpan wait)
    {
        // Elapsed time, not the time of day: a Stopwatch is the pacing clock here.
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            try
            {
                var info = JsonSerializer.Deserialize<InstanceInfo>(await File.ReadAllTextAsync(Path.Combine(home, "desktop.json")));
                if (info is not null)
                {
                    using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
                    using var request = new HttpRequestMessage(HttpMethod.Post, $"http://127.0.0.1:{info.Port}{HandoffPath}")
                    {
                        Content = JsonContent.Create(new HandoffRequest(openWindow)),
                    };
                    request.Headers.Add(HandoffHeader, info.Key);
                    using var response = await http.SendAsync(request);
                    if (response.IsSuccessStatusCode)
                    {
                        return (await response.Content.ReadFromJsonAsync<HandoffResponse>())?.LaunchUrl;
                    }
                }
            }
            catch (Exception ex) when (ex is IOException or HttpRequestException or JsonException or TaskCanceledException)
            {
                // The first instance may still be starting: its file or its port comes in a moment.
            }
            if (waited.Elapsed > wait)
            {
                return null;
            }
            await Task.Delay(200);
        }
    }

    public void Dispose()
    {
        try
        {
            File.Delete(_infoPath);
        }
        catch (IOException)
        {
        }
        _lock.Dispose();
    }

    public sealed record InstanceInfo(int Port, string Key, int Pid);

    public sealed record HandoffRequest(bool OpenWindow);

    public sealed record HandoffResponse(string LaunchUrl);
}
