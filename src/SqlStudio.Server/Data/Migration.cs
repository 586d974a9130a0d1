using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace SqlStudio.Server.Data;

/// <summary>One numbered schema change: <c>NNNN_name.up.sql</c> and its <c>NNNN_name.down.sql</c>.</summary>
public sealed partial record Migration(int Version, string Name, string UpSql, string DownSql)
{
    /// <summary>SHA-256 of the up script with line endings normalised, as stored in <c>schema_migrations</c>.</summary>
    public string Checksum { get; } = Hash(UpSql);

    public string Id => $"{Version:D4}_{Name}";

    /// <summary>The migrations compiled into the server, in version order.</summary>
    public static IReadOnlyList<Migration> Embedded() => Load(typeof(Migration).Assembly);

    internal static IReadOnlyList<Migration> Load(Assembly assembly)
    {
        var scripts = new Dictionary<(int Version, string Name), (string? Up, string? Down)>();
        foreach (var resource in assembly.GetManifestResourceNames())
        {
            var match = ResourceName().Match(resource);
            if (!match.Success)
            {
                continue;
            }
            var key = (int.Parse(match.Groups["version"].Value), match.Groups["name"].Value);
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream, Encoding.UTF8);
            var text = reader.ReadToEnd();
            scripts.TryGetValue(key, out var pair);
            scripts[key] = match.Groups["direction"].Value == "up" ? (text, pair.Down) : (pair.Up, text);
        }

        var migrations = new List<Migration>();
        foreach (var ((version, name), (up, down)) in scripts.OrderBy(s => s.Key.Version))
        {
            if (up is null || down is null)
            {
                throw new InvalidOperationException($"Migration {version:D4}_{name} needs both an up and a down script.");
            }
            if (migrations.Count > 0 && migrations[^1].Version == version)
            {
                throw new InvalidOperationException($"Two migrations share version {version:D4}.");
            }
            migrations.Add(new Migration(version, name, up, down));
        }
        return migrations;
    }

    private static string Hash(string sql)
    {
        var normalised = sql.Replace("\r\n", "\n");
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(normalised)));
    }

    [GeneratedRegex(@"^Migrations\.(?<version>\d{4})_(?<name>[a-z0-9_]+)\.(?<direction>up|down)\.sql$")]
    private static partial Regex ResourceName();
}
