using System.Reflection;

namespace SqlStudio.Sync;

/// <summary>
/// The User-Agent of a SQL Studio client: <c>PRODUCT/VERSION (SYSTEM)</c>, e.g. <c>sqlstudio/0.9.0 (Linux)</c>, so the
/// account's session list says "SQL Studio CLI on Linux" rather than "Unknown app".
/// </summary>
public static class ClientUserAgent
{
    public static string Value(string product)
    {
        var version = (Assembly.GetEntryAssembly() ?? typeof(ClientUserAgent).Assembly).GetName().Version?.ToString(3) ?? "0.0.0";
        var system = OperatingSystem.IsWindows() ? "Windows" : OperatingSystem.IsMacOS() ? "Mac OS X" : OperatingSystem.IsLinux() ? "Linux" : "unknown";
        return $"{product}/{version} ({system})";
    }

    /// <summary>Sets the User-Agent on a client the SDK or an app uses to reach the server.</summary>
    public static HttpClient Apply(HttpClient http, string product)
    {
        http.DefaultRequestHeaders.UserAgent.Clear();
        http.DefaultRequestHeaders.UserAgent.ParseAdd(Value(product));
        return http;
    }
}
