using System.Collections.Frozen;

namespace SqlStudio.Server.Sync;

/// <summary>How a field's value travels (JSON) and is stored (SQLite).</summary>
public enum FieldKind
{
    /// <summary>JSON string, TEXT column.</summary>
    Text,
    /// <summary>JSON integer, INTEGER column.</summary>
    Integer,
    /// <summary>JSON true/false, INTEGER 0/1 column.</summary>
    Boolean,
    /// <summary>Any JSON value, stored as its JSON text.</summary>
    Json,
}

/// <summary>One synced field: its column, kind, limits, and the allowed values when it is an enumeration.</summary>
/// <param name="Default">Stored when the value is null or missing on a new record (the column is NOT NULL).</param>
public sealed record FieldSpec(string Name, FieldKind Kind, int MaxBytes = 4096, bool Required = false, long? Min = null, long? Max = null,
    IReadOnlyList<string>? Allowed = null, object? Default = null);

/// <summary>
/// One synced entity type. Push, pull, import and integrity all read this, so a field is added in one place.
/// </summary>
public sealed record EntitySpec(string Type, string Table, IReadOnlyList<FieldSpec> Fields, bool AppendOnly = false,
    FieldSpec? Parent = null, string? ParentType = null, IReadOnlyList<string>? SecretFields = null)
{
    public FrozenDictionary<string, FieldSpec> ByName { get; } = Fields.ToFrozenDictionary(f => f.Name);

    /// <summary>Columns in the table's order, for SELECTs.</summary>
    public string ColumnList { get; } = string.Join(", ", Fields.Select(f => f.Name));
}

/// <summary>The seven synced types (docs/sync.md, "Records"), their fields and limits.</summary>
public static class EntityCatalogue
{
    public const int KiB = 1024;
    public const int MiB = 1024 * KiB;

    /// <summary>Connection fields that must never leave the device; a payload carrying one is rejected.</summary>

    public static readonly EntitySpec Connections = new("connections", "connections",
    [
        new("name", FieldKind.Text, 200, Required: true),
        new("driver", FieldKind.Text, 50, Required: true),
        new("host", FieldKind.Text, 255),
        new("port", FieldKind.Integer, Min: 0, Max: 65535),
        new("database_name", FieldKind.Text, 255),
        new("username", FieldKind.Text, 255),
        new("ssl_mode", FieldKind.Text, 50),
        new("ssh_enabled", FieldKind.Boolean, Default: 0L),
        new("ssh_host", FieldKind.Text, 255),
        new("ssh_port", FieldKind.Integer, Min: 0, Max: 65535),
        new("ssh_username", FieldKind.Text, 255),
        new("color", FieldKind.Text, 50),
        new("folder", FieldKind.Text, 200),
        new("options", FieldKind.Json, 64 * KiB, Default: "{}"),
    ], SecretFields: SqlStudio.Contracts.ConnectionFields.Secrets);

    public static readonly EntitySpec QueryTabs = new("query_tabs", "query_tabs",
    [
        new("title", FieldKind.Text, 200, Required: true),
        new("content", FieldKind.Text, 1 * MiB, Default: ""),
        new("connection_id", FieldKind.Text, 100),
        new("position", FieldKind.Integer, Min: 0, Max: 100_000, Default: 0L),
        new("is_pinned", FieldKind.Boolean, Default: 0L),
        new("cursor_position", FieldKind.Integer, Min: 0, Max: int.MaxValue),
    ]);

    public static readonly EntitySpec QueryHistory = new("query_history", "query_history",
    [
        new("connection_id", FieldKind.Text, 100),
        new("query_text", FieldKind.Text, 256 * KiB, Required: true),
        new("executed_at", FieldKind.Text, 40, Required: true),
        new("duration_ms", FieldKind.Integer, Min: 0, Max: long.MaxValue),
        new("row_count", FieldKind.Integer, Min: -1, Max: long.MaxValue),
        new("status", FieldKind.Text, 20, Allowed: ["success", "error", "cancelled"], Default: "success"),
        new("error_message", FieldKind.Text, 64 * KiB),
    ], AppendOnly: true);

    public static readonly EntitySpec SavedQueries = new("saved_queries", "saved_queries",
    [
        new("title", FieldKind.Text, 200, Required: true),
        new("description", FieldKind.Text, 10 * KiB, Default: ""),
        new("sql", FieldKind.Text, 1 * MiB, Required: true),
        new("tags", FieldKind.Text, 1 * KiB, Default: ""),
        new("connection_id", FieldKind.Text, 100),
        new("folder", FieldKind.Text, 200),
        new("is_favorite", FieldKind.Boolean, Default: 0L),
    ]);

    public static readonly EntitySpec AiSessions = new("ai_sessions", "ai_sessions",
    [
        new("title", FieldKind.Text, 200, Required: true),
        new("connection_id", FieldKind.Text, 100),
        new("model", FieldKind.Text, 100),
    ]);

    private static readonly FieldSpec SessionId = new("session_id", FieldKind.Text, 100, Required: true);

    public static readonly EntitySpec AiMessages = new("ai_messages", "ai_messages",
    [
        SessionId,
        new("role", FieldKind.Text, 20, Required: true, Allowed: ["user", "assistant", "system", "tool"]),
        new("content", FieldKind.Text, 1 * MiB, Required: true),
    ], AppendOnly: true, Parent: SessionId, ParentType: "ai_sessions");

    public static readonly EntitySpec UiPreferences = new("ui_preferences", "ui_preferences",
    [
        new("key", FieldKind.Text, 200, Required: true),
        new("value", FieldKind.Json, 64 * KiB, Required: true),
    ]);

    /// <summary>Every type, parents before children (the order import and pull apply them in).</summary>
    public static readonly IReadOnlyList<EntitySpec> All =
        [Connections, QueryTabs, QueryHistory, SavedQueries, AiSessions, AiMessages, UiPreferences];

    private static readonly FrozenDictionary<string, EntitySpec> ByType = All.ToFrozenDictionary(e => e.Type);

    public static EntitySpec? Find(string? type) => type is not null && ByType.TryGetValue(type, out var spec) ? spec : null;
}
