using System.Security.Cryptography;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.IdentityModel.Tokens;

namespace SqlStudio.Server.Auth;

/// <summary>
/// The ES256 (ECDSA P-256) key that signs access tokens, kept as PEM at <c>Auth:SigningKeyPath</c> and created
/// with owner-only permissions (0600) on first start. Its <c>kid</c> is the RFC 7638 JWK thumbprint.
/// </summary>
public sealed class SigningKeys : IDisposable
{
    private readonly ECDsa _key;

    public SigningKeys(AuthOptions options, ILogger<SigningKeys> logger)
    {
        var path = Path.GetFullPath(options.SigningKeyPath);
        _key = ECDsa.Create();
        if (File.Exists(path))
        {
            _key.ImportFromPem(File.ReadAllText(path));
        }
        else
        {
            _key.GenerateKey(ECCurve.NamedCurves.nistP256);
            WriteOwnerOnly(path, _key.ExportECPrivateKeyPem());
            logger.LogInformation("Generated a new token signing key at {Path}", path);
        }
        var parameters = _key.ExportParameters(false);
        X = WebEncoders.Base64UrlEncode(parameters.Q.X!);
        Y = WebEncoders.Base64UrlEncode(parameters.Q.Y!);
        KeyId = Thumbprint(X, Y);
        SigningKey = new ECDsaSecurityKey(_key) { KeyId = KeyId };
        var publicOnly = ECDsa.Create(new ECParameters { Curve = ECCurve.NamedCurves.nistP256, Q = parameters.Q });
        ValidationKey = new ECDsaSecurityKey(publicOnly) { KeyId = KeyId };
    }

    public string KeyId { get; }

    public string X { get; }

    public string Y { get; }

    public SecurityKey SigningKey { get; }

    public SecurityKey ValidationKey { get; }

    /// <summary>The JWKS document served at <c>/.well-known/jwks.json</c>.</summary>
    public object Jwks() => new
    {
        keys = new[] { new { kty = "EC", crv = "P-256", x = X, y = Y, kid = KeyId, use = "sig", alg = "ES256" } },
    };

    public void Dispose() => _key.Dispose();

    private static string Thumbprint(string x, string y)
    {
        // RFC 7638: the required members in lexicographic order, no whitespace.
        var canonical = $$"""{"crv":"P-256","kty":"EC","x":"{{x}}","y":"{{y}}"}""";
        return WebEncoders.Base64UrlEncode(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(canonical)));
    }

    private static void WriteOwnerOnly(string path, string content)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        using var stream = new FileStream(path, options);
        using var writer = new StreamWriter(stream);
        writer.Write(content);
    }
}
