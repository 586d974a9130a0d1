using System.Text.Json;
using SqlStudio.Contracts;

namespace SqlStudio.Cli.Login;

/// <summary>What a signed-in profile keeps: the server and the session's tokens.</summary>
public sealed record StoredSession(string Server, TokenResponse Tokens, DateTimeOffset SavedAt);

/// <summary>
/// Profiles live under <c>$SQLSTUDIO_HOME</c> (default: <c>$XDG_CONFIG_HOME/sqlstudio</c> or <c>~/.config/sqlstudio</c>),
/// one folder each; the session file is readable by its owner only (0600).
/// </summary>
public sealed class ProfileStore(string home)
{
    public static string DefaultHome() =>
        Environment.GetEnvironmentVariable("SQLSTUDIO_HOME") is { Length: > 0 } home ? home
        : Path.Combine(Environment.GetEnvironmentVariable("XDG_CONFIG_HOME") is { Length: > 0 } xdg
            ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".config"), "sqlstudio");

    public string SessionPath(string profile) => Path.Combine(home, "profiles", profile, "session.json");

    public async Task SaveAsync(string profile, StoredSession session)
    {
        var path = SessionPath(profile);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = path + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        await using (var stream = new FileStream(temp, options))
        {
            await JsonSerializer.SerializeAsync(stream, session, CliJson.Options);
        }
        File.Move(temp, path, overwrite: true);
    }

    public async Task<StoredSession?> LoadAsync(string profile)
    {
        var path = SessionPath(profile);
        if (!File.Exists(path))
        {
            return null;
        }
        await using var stream = File.OpenRead(path);
        return await JsonSerializer.DeserializeAsync<StoredSession>(stream, CliJson.Options);
    }
}
