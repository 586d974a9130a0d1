namespace SqlStudio.Desktop.Host;

/// <summary>The launch line's options (docs/desktop.md): where the data lives, which cloud, which port, whether a window opens.</summary>
public sealed record LaunchOptions(string Home, Uri Server, int Port, bool NoWindow)
{
    public static readonly Uri DefaultServer = new("https://cloud.sqlstudio.app");

    public const string Usage = "Usage: sqlstudio-desktop [--home DIR] [--server URL] [--port N] [--no-window]";

    /// <summary>The options, or the sentence that says what is wrong with them.</summary>
    public static (LaunchOptions? Options, string? Problem) Parse(IReadOnlyList<string> args, Func<string, string?> environment)
    {
        string? home = null;
        var server = environment("SQLSTUDIO_SERVER") is { Length: > 0 } fromEnvironment && Uri.TryCreate(fromEnvironment, UriKind.Absolute, out var s) ? s : DefaultServer;
        var port = 0;
        var noWindow = false;
        for (var i = 0; i < args.Count; i++)
        {
            string? Value() => i + 1 < args.Count ? args[++i] : null;
            switch (args[i])
            {
                case "--home":
                    home = Value();
                    if (string.IsNullOrWhiteSpace(home))
                    {
                        return (null, "--home needs a folder.");
                    }
                    break;
                case "--server":
                    if (Value() is not { } url || !Uri.TryCreate(url, UriKind.Absolute, out var parsed) || parsed.Scheme is not ("http" or "https"))
                    {
                        return (null, "--server needs an http or https address, like https://cloud.sqlstudio.app.");
                    }
                    server = parsed;
                    break;
                case "--port":
                    if (!int.TryParse(Value(), out port) || port is < 0 or > 65535)
                    {
                        return (null, "--port needs a number from 0 to 65535 (0 picks a free port).");
                    }
                    break;
                case "--no-window":
                    noWindow = true;
                    break;
                case "--help" or "-h":
                    return (null, Usage);
                default:
                    return (null, $"Unknown option '{args[i]}'. {Usage}");
            }
        }
        return (new LaunchOptions(Path.GetFullPath(home ?? DefaultHome(environment)), server, port, noWindow), null);
    }

    /// <summary>The user's data folder: XDG data home on Linux, %APPDATA% on Windows, Application Support on macOS.</summary>
    public static string DefaultHome(Func<string, string?> environment)
    {
        if (OperatingSystem.IsWindows())
        {
            return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.ApplicationData), "SqlStudio");
        }
        var user = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        if (OperatingSystem.IsMacOS())
        {
            return Path.Combine(user, "Library", "Application Support", "SqlStudio");
        }
        var data = environment("XDG_DATA_HOME") is { Length: > 0 } xdg ? xdg : Path.Combine(user, ".local", "share");
        return Path.Combine(data, "SqlStudio");
    }
}
