using System.Reflection;
using System.Runtime.InteropServices;

namespace SqlStudio.Sync;

/// <summary>
/// How this computer introduces itself to the account's device list: its host name and operating system ("ada-laptop",
/// "Linux (Debian GNU/Linux 13)"), never an opaque device id or "unknown platform".
/// </summary>
public static class DeviceIdentity
{
    public static string Name(string? app = null)
    {
        var host = Environment.MachineName;
        var name = string.IsNullOrWhiteSpace(host) ? "This computer" : host;
        name = app is null ? name : $"{name} ({app})";
        // The server keeps up to 100 characters of a device name.
        return name.Length > 100 ? name[..100].TrimEnd() : name;
    }

    public static string Platform()
    {
        var family = OperatingSystem.IsWindows() ? "Windows" : OperatingSystem.IsMacOS() ? "macOS" : OperatingSystem.IsLinux() ? "Linux"
            : RuntimeInformation.OSDescription;
        var description = RuntimeInformation.OSDescription.Trim();
        var detail = description.StartsWith(family, StringComparison.OrdinalIgnoreCase) ? description : $"{family} ({description})";
        // The server keeps up to 50 characters of a platform.
        return detail.Length > 50 ? detail[..50].TrimEnd() : detail;
    }

    public static string AppVersion(Assembly? assembly = null) =>
        (assembly ?? Assembly.GetEntryAssembly() ?? typeof(DeviceIdentity).Assembly).GetName().Version?.ToString(3) ?? "0.0.0";
}
