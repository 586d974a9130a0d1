using System.Text.Json;
using System.Text.Json.Nodes;

namespace SqlStudio.Contracts;

public static class EntityTypes
{
    public const string Connections = "connections";
    public const string QueryTabs = "query_tabs";
    public const string QueryHistory = "query_history";
    public const string SavedQueries = "saved_queries";
    public const string AiSessions = "ai_sessions";
    public const string AiMessages = "ai_messages";
    public const string UiPreferences = "ui_preferences";

    public static readonly IReadOnlyList<string> All =
        [Connections, QueryTabs, QueryHistory, SavedQueries, AiSessions, AiMessages, UiPreferences];
}

public static class MutationStatus
{
    public const string Applied = "applied";
    public const string Merged = "merged";
    public const string ConflictWon = "conflict_won";
    public const string ConflictLost = "conflict_lost";
    public const string Duplicate = "duplicate";
    public const string Rejected = "rejected";
}

public sealed record DeviceRequest(string? DeviceId, string? Name, string? Platform, string? AppVersion);

public sealed record DeviceInfo(
    string DeviceId, string Name, string? Platform, string? AppVersion, string? LastSyncAt, long LastCursor, string CreatedAt, string? RevokedAt);

public sealed record HeadResponse(long Cursor, Dictionary<string, long> Counts, string ServerTime);

/// <summary>One change a device pushes. <c>data</c> carries only the fields it changed.</summary>
public sealed record Mutation(
    string? MutationId, string? EntityType, string? EntityId, string? Op, long BaseVersion, string? UpdatedAt, JsonElement? Data = null);

/// <param name="Pending">The device's outbox size when it pushed (for the operator's metrics).</param>
public sealed record PushRequest(string? DeviceId, List<Mutation>? Mutations, long? Pending = null);

public sealed record MutationError(string Code, string Message);

public sealed record MutationResult(
    string MutationId, string Status, long Version, long ServerSeq, JsonObject? Record = null, string? ConflictId = null, MutationError? Error = null);

public sealed record PushResponse(List<MutationResult> Results, long Cursor);

public sealed record ChangesResponse(Dictionary<string, List<JsonObject>> Changes, long NextCursor, bool HasMore, string Timestamp);

public sealed record ConflictInfo(
    string ConflictId, string EntityType, string EntityId, IReadOnlyList<string> Fields, JsonObject Local, JsonObject Remote,
    string? LocalDeviceId, string? RemoteDeviceId, string? LocalUpdatedAt, string? RemoteUpdatedAt, string Winner, string Status,
    string? Resolution, string CreatedAt, string? ResolvedAt, string? Title = null);

public sealed record ResolveRequest(string? Choice, JsonElement? Data = null, string? DeviceId = null);

public sealed record ImportRequest(string? ImportId, string? OnDuplicate, Dictionary<string, List<JsonElement>>? Records);

public sealed record ImportError(string EntityType, string? Id, string Code, string Message);

public sealed record ImportResponse(int Inserted, int Updated, int Skipped, List<ImportError> Errors);

public sealed record UndoImportResponse(int Removed, int Restored);

public sealed record IntegrityType(long Count, string Checksum);

public sealed record IntegrityResponse(Dictionary<string, IntegrityType> Types);

public sealed record ActivityInfo(
    string ActivityId, string? DeviceId, string Kind, long Records, long Conflicts, long Bytes, long DurationMs, string? Error, string CreatedAt,
    string? RunId = null, long Refused = 0);

public static class SyncErrorCodes
{
    public const string ResyncRequired = "resync_required";
    public const string SubscriptionRequired = "subscription_required";
    public const string DeviceRevoked = "device_revoked";
    public const string AlreadyResolved = "already_resolved";
    public const string ImportUndone = "import_undone";
    public const string AlreadyUndone = "already_undone";
    public const string TooManyStreams = "too_many_streams";
    public const string SyncBusy = "sync_busy";
    public const string SyncPaused = "sync_paused";
}

/// <summary>
/// Why one record was refused: the <c>error.code</c> of a push's rejected mutation, of an import's refused record, and
/// of a conflict resolution the same rules refuse (docs/sync.md).
/// </summary>
public static class MutationErrorCodes
{
    public const string InvalidMutationId = "invalid_mutation_id";
    public const string InvalidId = "invalid_id";
    public const string InvalidOp = "invalid_op";
    public const string InvalidUpdatedAt = "invalid_updated_at";
    public const string InvalidBaseVersion = "invalid_base_version";
    public const string InvalidData = "invalid_data";
    public const string InvalidField = "invalid_field";
    public const string MissingField = "missing_field";
    public const string MissingParent = "missing_parent";
    public const string UnknownField = "unknown_field";
    public const string UnknownType = "unknown_type";
    public const string TooLarge = "too_large";
    public const string SecretField = "secret_field";
}
