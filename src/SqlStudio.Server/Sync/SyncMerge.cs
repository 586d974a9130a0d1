using System.Text.Json.Serialization;

namespace SqlStudio.Server.Sync;

/// <summary>
/// When a field last changed: the row version of that change (<c>v</c>), and the device clock time (<c>t</c>) and
/// device (<c>d</c>) that made it. Stored per field in <c>field_versions</c>.
/// </summary>
public sealed record FieldStamp(
    [property: JsonPropertyName("v")] long Version,
    [property: JsonPropertyName("t")] string UpdatedAt,
    [property: JsonPropertyName("d")] string? DeviceId)
{
    /// <summary>Last-write-wins order: later time first, then the larger device id, so every server agrees.</summary>
    public static int Compare(string timeA, string? deviceA, string timeB, string? deviceB)
    {
        var byTime = string.CompareOrdinal(timeA, timeB);
        return byTime != 0 ? byTime : string.CompareOrdinal(deviceA ?? "", deviceB ?? "");
    }
}

/// <summary>What a mutation does to an existing row, decided from versions alone (pure logic, no I/O).</summary>
public enum MergeDecision
{
    /// <summary><c>base_version</c> is the current version: take it as is.</summary>
    Applied,
    /// <summary>The row moved on, but none of the pushed fields did: take it, keep the other changes.</summary>
    Merged,
    /// <summary>A pushed field also changed since <c>base_version</c>, and this write is later.</summary>
    ConflictWon,
    /// <summary>The same, but the server's write is later: not taken.</summary>
    ConflictLost,
}

public static class SyncMerge
{
    /// <summary>
    /// Decides per field: a pushed field conflicts when it changed after <paramref name="baseVersion"/> to a value
    /// other than the pushed one. Last-write-wins compares this write's (time, device) with the latest of the
    /// conflicting fields' stamps.
    /// </summary>
    public static (MergeDecision Decision, IReadOnlyList<string> Conflicting, FieldStamp? Rival) Decide(
        SyncRow current, long baseVersion, IReadOnlyDictionary<string, object?> pushed, string updatedAt, string deviceId)
    {
        if (baseVersion == current.Version)
        {
            return (MergeDecision.Applied, [], null);
        }
        var conflicting = pushed
            .Where(p => current.FieldVersions.TryGetValue(p.Key, out var stamp) && stamp.Version > baseVersion)
            .Where(p => !Equal(p.Key == SyncRecords.DeletedField ? current.Deleted : current.Values.GetValueOrDefault(p.Key), p.Value))
            .Select(p => p.Key)
            .ToList();
        if (conflicting.Count == 0)
        {
            return (MergeDecision.Merged, [], null);
        }
        var rival = conflicting.Select(f => current.FieldVersions[f])
            .Aggregate((a, b) => FieldStamp.Compare(a.UpdatedAt, a.DeviceId, b.UpdatedAt, b.DeviceId) >= 0 ? a : b);
        var later = FieldStamp.Compare(updatedAt, deviceId, rival.UpdatedAt, rival.DeviceId) > 0;
        return (later ? MergeDecision.ConflictWon : MergeDecision.ConflictLost, conflicting, rival);
    }

    private static bool Equal(object? a, object? b) => (a, b) switch
    {
        (null, null) => true,
        (null, _) or (_, null) => false,
        (bool x, bool y) => x == y,
        (long x, long y) => x == y,
        _ => string.Equals(Convert.ToString(a, System.Globalization.CultureInfo.InvariantCulture),
            Convert.ToString(b, System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal),
    };
}
