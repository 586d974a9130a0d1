using System.Text.Json.Nodes;
using SqlStudio.Sync;

namespace SqlStudio.Desktop.Workspace;

/// <summary>
/// The workspace as the SDK keeps it: one profile (<c>{home}/profiles/workspace</c>) whose store holds connections, tabs,
/// history, saved queries, chats and preferences, and whose secrets are encrypted at rest. Every item is written through
/// <see cref="SyncManager"/>, so turning Cloud Sync on later only signs the profile in and starts its worker.
/// </summary>
public sealed class WorkspaceStore(Host.LaunchOptions options) : IAsyncDisposable
{
    public const string ProfileName = "workspace";

    private readonly Lazy<Task<SyncProfile>> _profile = new(() => SyncProfile.OpenAsync(options.Home, ProfileName, options.Server));

    /// <summary>Raised after any workspace write, with the type written (lists refresh on it).</summary>
    public event Action<string>? Changed;

    public Task<SyncProfile> ProfileAsync() => _profile.Value;

    public async Task<LocalStore> StoreAsync() => (await _profile.Value).Store;

    public async Task<LocalRecord> PutAsync(string type, string id, JsonObject changes)
    {
        var record = await (await _profile.Value).Manager.PushChangeAsync(type, id, changes);
        Changed?.Invoke(type);
        return record;
    }

    public async Task DeleteAsync(string type, string id)
    {
        await (await _profile.Value).Manager.DeleteAsync(type, id);
        Changed?.Invoke(type);
    }

    public async Task<IReadOnlyList<LocalRecord>> ListAsync(string type) => await (await StoreAsync()).ListAsync(type);

    public async Task<LocalRecord?> GetAsync(string type, string id) => await (await StoreAsync()).GetAsync(type, id);

    public static string NewId(string prefix) => $"{prefix}-{Guid.CreateVersion7():N}";

    public async ValueTask DisposeAsync()
    {
        if (_profile.IsValueCreated)
        {
            await (await _profile.Value).DisposeAsync();
        }
    }
}

/// <summary>Reading a record's fields without ceremony.</summary>
public static class RecordFields
{
    public static string? Text(this LocalRecord record, string field) =>
        record.Data[field] is JsonValue value && value.TryGetValue<string>(out var text) ? text : record.Data[field]?.ToString();

    public static long? Number(this LocalRecord record, string field) =>
        record.Data[field] is JsonValue value && value.TryGetValue<long>(out var number) ? number
        : long.TryParse(record.Data[field]?.ToString(), out var parsed) ? parsed : null;
}
