using SqlStudio.Contracts;
using System.Globalization;

namespace SqlStudio.Server.Data;

/// <summary>The one format for times in the database and on the wire: ISO-8601 UTC with milliseconds.</summary>
public static class StoredTime
{
    public const string Format8601 = WireTime.Format;

    public static string Format(DateTimeOffset time) =>
        time.UtcDateTime.ToString(Format8601, CultureInfo.InvariantCulture);

    /// <summary>A stored time as a person reads it on the pages: to the minute, in UTC, said so.</summary>
    public static string Display(string stored) =>
        Parse(stored).ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);

    public static DateTimeOffset Parse(string text) =>
        DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
}
