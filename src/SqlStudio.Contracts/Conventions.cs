using System.Globalization;

namespace SqlStudio.Contracts;

/// <summary>The connection fields that hold secrets: never synced, kept in the device's own secret store.</summary>
public static class ConnectionFields
{
    public static readonly IReadOnlyList<string> Secrets = ["password", "ssh_password", "ssh_private_key", "ssh_passphrase"];
}

/// <summary>The synced preferences both sides read: query history's opt-out and its redaction keywords.</summary>
public static class HistoryPreferences
{
    /// <summary><c>ui_preferences</c> record: false keeps query history on each device.</summary>
    public const string EnabledKey = "sync.history.enabled";

    /// <summary><c>ui_preferences</c> record: history entries containing one of these words are masked before they sync.</summary>
    public const string RedactionKeywordsKey = "sync.history.redaction_keywords";

    /// <summary><c>ui_preferences</c> record: true keeps history entries with a keyword on the device; false (default) masks their literals.</summary>
    public const string SkipSensitiveKey = "sync.history.skip_sensitive";

    public static readonly IReadOnlyList<string> DefaultRedactionKeywords = ["password", "secret", "token", "api_key"];
}

/// <summary>The one time format on the wire and in both stores: ISO-8601 UTC with milliseconds.</summary>
public static class WireTime
{
    public const string Format = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";

    public static string ToText(DateTimeOffset time) => time.UtcDateTime.ToString(Format, CultureInfo.InvariantCulture);
}
