using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace SqlStudio.Desktop.Host;

/// <summary>
/// Who may talk to the local server: whoever opened a launch link. A launch token works once and buys a session cookie
/// (HttpOnly, SameSite=Strict); every other request needs that cookie. Both are random 256-bit values that live in this
/// process only.
/// </summary>
public sealed class LocalSession
{
    public const string CookieName = "sqlstudio_session";

    private readonly ConcurrentDictionary<string, bool> _launchTokens = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> _sessions = new(StringComparer.Ordinal);

    /// <summary>The loopback origin once the host listens (Host and Origin checks compare against it).</summary>
    public int Port { get; set; }

    public string NewLaunchToken()
    {
        var token = Random();
        _launchTokens[token] = true;
        return token;
    }

    /// <summary>The session a launch token buys, once; null for an unknown or spent token.</summary>
    public string? Redeem(string? token)
    {
        if (token is null || !_launchTokens.TryRemove(token, out _))
        {
            return null;
        }
        var session = Random();
        _sessions[session] = true;
        return session;
    }

    /// <summary>Ends a session (the host's own warm-up ends the one it used).</summary>
    public void End(string? session)
    {
        if (session is not null)
        {
            _sessions.TryRemove(session, out _);
        }
    }

    public bool IsSession(string? cookie) => cookie is not null && _sessions.ContainsKey(cookie);

    public bool IsLocalHost(string? host) => host == $"127.0.0.1:{Port}" || host == $"localhost:{Port}";

    public bool IsLocalOrigin(string? origin) => origin == $"http://127.0.0.1:{Port}" || origin == $"http://localhost:{Port}";

    public string LaunchUrl(string token) => $"http://127.0.0.1:{Port}/launch?token={token}";

    private static string Random() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
}
