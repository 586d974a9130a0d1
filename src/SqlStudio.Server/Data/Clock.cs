using System.Globalization;

namespace SqlStudio.Server.Data;

/// <summary>The one format for times in the database and on the wire: ISO-8601 UTC with milliseconds.</summary>
public static class Clock
{
    public const string Format8601 = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";

    public static string Format(DateTimeOffset time) =>
        time.UtcDateTime.ToString(Format8601, CultureInfo.InvariantCulture);

    public static DateTimeOffset Parse(string text) =>
        DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
}
