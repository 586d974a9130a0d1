using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace SqlStudio.Contracts;

/// <summary>
/// "Credentials are never synced", at any depth: the rules both sides apply to a connection — the server rejects what
/// they find, the SDK moves it to the device-only secret store before anything is queued. A secret is a value under a
/// key that names one (password, pwd, passphrase, secret, private key, token, API or access key, credentials; any case,
/// any separators, as a suffix: <c>ssh_password</c>, <c>PWD</c>, <c>clientSecret</c>), the password part of a
/// connection string (<c>Password=…</c>, <c>Pwd=…</c>), or the password of a URL's or host's user info
/// (<c>postgres://u:pw@db</c>, <c>u:pw@db</c>).
/// </summary>
public static partial class Credentials
{
    private static readonly string[] SecretKeySuffixes =
        ["password", "passwd", "pwd", "passphrase", "secret", "privatekey", "token", "apikey", "accesskey", "secretkey", "credential", "credentials"];

    /// <summary>True when a field or option named <paramref name="key"/> holds a secret.</summary>
    public static bool IsSecretKey(string key)
    {
        // Only the end of the name matters (the names are suffixes), so the fold reads the key from its end: however
        // long the key, "aaa…a_password" is a secret (a fold of the first characters alone missed it past 256).
        Span<char> folded = stackalloc char[MaxSuffixLength];
        var length = 0;
        for (var i = key.Length - 1; i >= 0 && length < folded.Length; i--)
        {
            if (char.IsLetterOrDigit(key[i]))
            {
                folded[folded.Length - 1 - length++] = char.ToLowerInvariant(key[i]);
            }
        }
        var name = folded[(folded.Length - length)..];
        foreach (var suffix in SecretKeySuffixes)
        {
            if (name.EndsWith(suffix, StringComparison.Ordinal))
            {
                return true;
            }
        }
        return false;
    }

    private const int MaxSuffixLength = 16;

    [GeneratedRegex(@"(?<=^|;)\s*(password|pwd|passwd)\s*=\s*(""[^""]*""|'[^']*'|[^;]*)\s*(;|$)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex ConnectionStringPassword();

    // scheme://user:password@host…, or user:password@host with no scheme (a host field).
    [GeneratedRegex(@"(?<prefix>(^|[a-z][a-z0-9+.\-]*://)[^\s:@/]*):(?<password>[^\s@/]+)@(?=[^\s@]+)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex UserInfoPassword();

    /// <summary>True when a text value carries a password (a connection string's, or a URL's or host's user info).</summary>
    public static bool HasSecretValue(string value) =>
        value.Length > 0 && (ConnectionStringPassword().IsMatch(value) || UserInfoPassword().IsMatch(value));

    /// <summary>The value with its password parts removed (the rest still describes the connection).</summary>
    public static string WithoutSecretValue(string value) =>
        UserInfoPassword().Replace(ConnectionStringPassword().Replace(value, ""), "${prefix}@");

    /// <summary>
    /// The first secret in a JSON value, as a path (<c>options.nested.password</c>), or null. Keys are checked at every
    /// depth, through objects and arrays; text values for connection-string and user-info passwords.
    /// </summary>
    public static string? FindSecret(JsonNode? node, string path)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (key, child) in o)
                {
                    var at = $"{path}.{key}";
                    if (IsSecretKey(key) && child is not null && !IsEmpty(child))
                    {
                        return at;
                    }
                    if (FindSecret(child, at) is { } found)
                    {
                        return found;
                    }
                }
                return null;
            case JsonArray a:
                for (var i = 0; i < a.Count; i++)
                {
                    if (FindSecret(a[i], $"{path}[{i}]") is { } found)
                    {
                        return found;
                    }
                }
                return null;
            case JsonValue v when v.TryGetValue<string>(out var text):
                return HasSecretValue(text) ? path : null;
            default:
                return null;
        }
    }

    /// <summary>
    /// Removes every secret from <paramref name="node"/> in place, reporting each as (path, original value) for the
    /// device-only store: secret keys are removed, text values lose their password parts.
    /// </summary>
    public static void Strip(JsonNode? node, string path, IDictionary<string, string> into)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (key, child) in o.ToList())
                {
                    var at = $"{path}.{key}";
                    if (IsSecretKey(key))
                    {
                        if (child is not null && !IsEmpty(child))
                        {
                            into[at] = child is JsonValue value && value.TryGetValue<string>(out var s) ? s : child.ToJsonString();
                        }
                        o.Remove(key);
                        continue;
                    }
                    if (child is JsonValue text && text.TryGetValue<string>(out var str) && HasSecretValue(str))
                    {
                        into[at] = str;
                        o[key] = WithoutSecretValue(str);
                        continue;
                    }
                    Strip(child, at, into);
                }
                break;
            case JsonArray a:
                for (var i = 0; i < a.Count; i++)
                {
                    if (a[i] is JsonValue text && text.TryGetValue<string>(out var str) && HasSecretValue(str))
                    {
                        into[$"{path}[{i}]"] = str;
                        a[i] = WithoutSecretValue(str);
                        continue;
                    }
                    Strip(a[i], $"{path}[{i}]", into);
                }
                break;
        }
    }

    private static bool IsEmpty(JsonNode node) => node is JsonValue v && v.TryGetValue<string>(out var s) && s.Length == 0;
}
