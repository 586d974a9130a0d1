using System.Text.Json;
using System.Text.Json.Nodes;
using SqlStudio.Contracts;

namespace SqlStudio.Sync;

public sealed record ImportReport(string ImportId, int Inserted, int Updated, int Skipped, IReadOnlyList<ImportError> Errors);

public sealed partial class SyncManager
{
    public async Task<DeviceInfo> RegisterDeviceAsync(string name, string platform, string appVersion, CancellationToken ct = default) =>
        await _api.SendAsync<DeviceInfo>(Server, HttpMethod.Post, "/api/sync/devices",
            new DeviceRequest(await DeviceIdAsync(), name, platform, appVersion), ct);

    public Task<List<ConflictInfo>> ConflictsAsync(bool includeResolved = false, CancellationToken ct = default) =>
        _api.SendAsync<List<ConflictInfo>>(Server, HttpMethod.Get, $"/api/sync/conflicts?status={(includeResolved ? "all" : "unresolved")}", null, ct);

    /// <summary>
    /// Which side of a conflict this device's is: the server names them by who pushed ("local" is the device whose push
    /// conflicted), a person by whose they are. Returns the server's choice for keeping <paramref name="keep"/> ("mine" or
    /// "theirs"); an <see cref="ArgumentException"/> says why when neither side is this device's.
    /// </summary>
    public async Task<string> ChoiceForAsync(ConflictInfo conflict, string keep)
    {
        var device = await DeviceIdAsync();
        var mine = conflict.LocalDeviceId == device ? "local" : conflict.RemoteDeviceId == device ? "remote" : null;
        if (mine is null)
        {
            throw new ArgumentException("Neither side of this conflict was edited on this device: resolve it on one of the two devices, or on the web (Sync page).");
        }
        return keep switch
        {
            "mine" => mine,
            "theirs" => mine == "local" ? "remote" : "local",
            _ => throw new ArgumentException($"--keep takes mine (this device's version) or theirs (the other device's), not '{keep}'."),
        };
    }

    /// <summary>Keeps this device's side ("mine") or the other device's ("theirs") of a conflict.</summary>
    public async Task ResolveKeepingAsync(string conflictId, string keep, CancellationToken ct = default)
    {
        var conflict = (await ConflictsAsync(includeResolved: false, ct)).FirstOrDefault(c => c.ConflictId == conflictId)
            ?? throw new ArgumentException($"No open conflict with id {conflictId}: `sqlstudio conflicts list` shows them.");
        await ResolveConflictAsync(conflictId, await ChoiceForAsync(conflict, keep), ct: ct);
    }

    /// <summary>Keeps one side of a conflict (a new version every device pulls), then pulls it here.</summary>
    public async Task ResolveConflictAsync(string conflictId, string choice, JsonObject? data = null, CancellationToken ct = default)
    {
        await _api.SendAsync<JsonObject>(Server, HttpMethod.Post, $"/api/sync/conflicts/{Uri.EscapeDataString(conflictId)}/resolve",
            new ResolveRequest(choice, data is null ? null : JsonSerializer.SerializeToElement(data), await DeviceIdAsync()), ct);
        await _store.WriteAsync(async (c, t) => { await LocalStore.RemoveConflictAsync(c, t, conflictId); return true; });
        await PullChangesAsync(null, ct);
    }

    /// <summary>
    /// Imports a Phase-1 export (docs/import-format.md) in batches of 50 with progress; connection secrets stay on
    /// this device. The records then arrive here with the next pull.
    /// </summary>
    public async Task<ImportReport> ImportAsync(string file, string onDuplicate, IProgress<SyncProgress>? progress = null, CancellationToken ct = default)
    {
        using var document = JsonDocument.Parse(await File.ReadAllTextAsync(file, ct));
        var root = document.RootElement;
        if (!root.TryGetProperty("format", out var format) || format.GetString() != "sqlstudio-export")
        {
            throw new InvalidDataException("Not a SQL Studio export: the file needs \"format\": \"sqlstudio-export\".");
        }
        var records = new List<(string Type, JsonObject Record)>();
        var importId = "imp-" + Guid.CreateVersion7().ToString("N");
        foreach (var type in EntityTypes.All)
        {
            if (root.TryGetProperty(type, out var list) && list.ValueKind == JsonValueKind.Array)
            {
                foreach (var item in list.EnumerateArray())
                {
                    var record = JsonNode.Parse(item.GetRawText())!.AsObject();
                    var (shareable, secrets) = SyncPolicy.StripSecrets(type, record);
                    if (secrets.Count > 0 && record["id"]?.ToString() is { } id)
                    {
                        await _store.WriteAsync(async (c, t) =>
                        {
                            foreach (var (field, value) in secrets)
                            {
                                await _store.PutImportedSecretAsync(c, t, importId, type, id, field, value);
                            }
                            return true;
                        });
                    }
                    records.Add((type, shareable));
                }
            }
        }
        var (inserted, updated, skipped) = (0, 0, 0);
        var errors = new List<ImportError>();
        foreach (var chunk in records.Chunk(50))
        {
            // The wire's own record (the server reads the same type).
            var body = new ImportRequest(importId, onDuplicate, chunk.GroupBy(r => r.Type)
                .ToDictionary(g => g.Key, g => g.Select(r => JsonSerializer.SerializeToElement(r.Record)).ToList()));
            var response = await _api.SendAsync<ImportResponse>(Server, HttpMethod.Post, "/api/sync/import", body, ct);
            (inserted, updated, skipped) = (inserted + response.Inserted, updated + response.Updated, skipped + response.Skipped);
            errors.AddRange(response.Errors);
            progress?.Report(new SyncProgress("import", inserted + updated + skipped + errors.Count, records.Count));
        }
        await PullChangesAsync(null, ct);
        return new ImportReport(importId, inserted, updated, skipped, errors);
    }

    public async Task<UndoImportResponse> UndoImportAsync(string importId, CancellationToken ct = default)
    {
        var result = await _api.SendAsync<UndoImportResponse>(Server, HttpMethod.Delete, $"/api/sync/import/{Uri.EscapeDataString(importId)}", null, ct);
        // What the import left on this device only (connection passwords) goes with it.
        await _store.UndoImportedSecretsAsync(importId);
        await PullChangesAsync(null, ct);
        return result;
    }
}
