using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;

namespace SqlStudio.Sync;

/// <summary>
/// Device-only secrets (connection passwords, SSH passphrases, API keys) encrypted at rest with ASP.NET Core Data
/// Protection (AES-256-CBC + HMAC-SHA256, keys rotated every 90 days), its key ring in the profile's <c>keys/</c> folder,
/// owner-only. No file of a profile holds a secret in clear; a copy of the store without its key ring reads nothing.
/// </summary>
public sealed class SecretProtector
{
    /// <summary>Marks a protected value (an older store's clear value has no prefix and is protected on open).</summary>
    public const string Prefix = "dp1:";

    private readonly IDataProtector _protector;

    public SecretProtector(string keyFolder)
    {
        KeyFolder = PrivateFiles.Folder(keyFolder);
        var services = new ServiceCollection();
        services.AddDataProtection()
            .SetApplicationName("SqlStudio")
            .PersistKeysToFileSystem(new DirectoryInfo(keyFolder));
        var provider = services.BuildServiceProvider().GetRequiredService<IDataProtectionProvider>();
        _protector = provider.CreateProtector("SqlStudio.Sync.Secrets.v1");
        // The first use writes the key ring; narrow what it wrote to owner-only.
        _protector.Protect([0]);
        PrivateFiles.FilesIn(keyFolder);
    }

    public string KeyFolder { get; }

    public string Protect(string value) => Prefix + _protector.Protect(value);

    /// <summary>The clear value; a value stored before protection existed comes back as it is.</summary>
    public string Unprotect(string stored) =>
        stored.StartsWith(Prefix, StringComparison.Ordinal) ? _protector.Unprotect(stored[Prefix.Length..]) : stored;

    public static bool IsProtected(string stored) => stored.StartsWith(Prefix, StringComparison.Ordinal);
}
