namespace SqlStudio.Server.Kernel;

/// <summary>A User-Agent as a person reads it: "Chrome on Linux", "Safari on iPhone", "SQL Studio CLI on Linux".</summary>
public static class UserAgents
{
    public static string Describe(string? userAgent)
    {
        if (string.IsNullOrWhiteSpace(userAgent))
        {
            return "Unknown app";
        }
        var ua = userAgent;
        var app = ua switch
        {
            _ when ua.StartsWith("sqlstudio", StringComparison.OrdinalIgnoreCase) => "SQL Studio CLI",
            _ when ua.Contains("SqlStudio", StringComparison.Ordinal) => "SQL Studio",
            _ when ua.Contains("Edg/", StringComparison.Ordinal) => "Edge",
            _ when ua.Contains("OPR/", StringComparison.Ordinal) => "Opera",
            _ when ua.Contains("Firefox/", StringComparison.Ordinal) => "Firefox",
            _ when ua.Contains("Chrome/", StringComparison.Ordinal) || ua.Contains("Chromium/", StringComparison.Ordinal) || ua.Contains("HeadlessChrome", StringComparison.Ordinal) => "Chrome",
            _ when ua.Contains("Safari/", StringComparison.Ordinal) => "Safari",
            _ when ua.StartsWith("curl/", StringComparison.Ordinal) => "curl",
            _ => "An app",
        };
        var system = ua switch
        {
            _ when ua.Contains("iPhone", StringComparison.Ordinal) => "iPhone",
            _ when ua.Contains("iPad", StringComparison.Ordinal) => "iPad",
            _ when ua.Contains("Android", StringComparison.Ordinal) => "Android",
            _ when ua.Contains("Windows", StringComparison.Ordinal) => "Windows",
            _ when ua.Contains("Mac OS X", StringComparison.Ordinal) || ua.Contains("Macintosh", StringComparison.Ordinal) => "macOS",
            _ when ua.Contains("CrOS", StringComparison.Ordinal) => "ChromeOS",
            _ when ua.Contains("Linux", StringComparison.Ordinal) || ua.Contains("X11", StringComparison.Ordinal) => "Linux",
            _ => null,
        };
        return system is null ? app : $"{app} on {system}";
    }
}
