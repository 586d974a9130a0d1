using System.Security.Cryptography;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.IdentityModel.Tokens;
using SqlStudio.Server.Data;

namespace SqlStudio.Server.Auth;

/// <summary>
/// The ring of ES256 (ECDSA P-256) keys that sign access tokens, kept in the database (<c>signing_keys</c>) so every
/// instance signs and verifies with the same keys. The newest unretired key signs; every key verifies until the
/// tokens it signed have expired (retired + <c>Auth:AccessTokenLifetime</c> + clock skew), and JWKS lists them all.
/// Each key's <c>kid</c> is its RFC 7638 JWK thumbprint. `keys rotate` adds a key; instances read the ring again every
/// minute, and at once when a token names a key they do not know. A PEM file at <c>Auth:SigningKeyPath</c> (how keys
/// were kept before the ring) becomes the ring's first key.
/// </summary>
public sealed class SigningKeys(Db db, AuthOptions options, TimeProvider time, ILogger<SigningKeys> logger)
{
    private static readonly TimeSpan RefreshEvery = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan UnknownKidRefreshGap = TimeSpan.FromSeconds(5);

    private readonly Lock _loading = new();
    private volatile Ring? _ring;

    /// <summary>One key of the ring, with what signs and what verifies.</summary>
    public sealed record Key(string KeyId, string X, string Y, ECDsaSecurityKey SigningKey, ECDsaSecurityKey ValidationKey, DateTimeOffset CreatedAt,
        DateTimeOffset? RetiredAt);

    /// <summary>The keys as loaded, and the one that signs (the newest unretired key, or the newest if all are retired).</summary>
    private sealed record Ring(IReadOnlyList<Key> Keys, Key Active, DateTimeOffset LoadedAt);

    public string KeyId => Active.KeyId;

    /// <summary>The key new tokens are signed with.</summary>
    public SecurityKey SigningKey => Active.SigningKey;

    private Key Active => Current().Active;

    /// <summary>The keys that verify now: the active one and the retired ones whose tokens may still be alive.</summary>
    public IReadOnlyList<Key> Verifying()
    {
        var now = time.GetUtcNow();
        var grace = options.AccessTokenLifetime + options.ClockSkew;
        return Current().Keys.Where(k => k.RetiredAt is not { } retired || retired + grace > now).ToList();
    }

    /// <summary>The validation key for a token's <c>kid</c>; an unknown kid reads the ring again (another instance rotated).</summary>
    public IEnumerable<SecurityKey> Resolve(string? kid)
    {
        kid = string.IsNullOrEmpty(kid) ? null : kid;
        var found = Verifying().Where(k => kid is null || k.KeyId == kid).Select(k => (SecurityKey)k.ValidationKey).ToList();
        if (found.Count == 0 && kid is not null && time.GetUtcNow() - Current().LoadedAt > UnknownKidRefreshGap)
        {
            _ring = Load();
            found = Verifying().Where(k => k.KeyId == kid).Select(k => (SecurityKey)k.ValidationKey).ToList();
        }
        return found;
    }

    /// <summary>The JWKS document served at <c>/.well-known/jwks.json</c>: every key that verifies.</summary>
    public JsonWebKeySet Jwks() =>
        new(Verifying().Select(k => new JsonWebKey("EC", "P-256", k.X, k.Y, k.KeyId, "sig", "ES256")).ToArray());

    /// <summary>Adds a new signing key and retires the active one (which keeps verifying its tokens until they expire).</summary>
    public async Task<string> RotateAsync(CancellationToken cancellationToken = default)
    {
        Current();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var pem = key.ExportECPrivateKeyPem();
        var kid = Describe(key).KeyId;
        var now = StoredTime.Format(time.GetUtcNow());
        await db.WriteBatchAsync(new SqlBatch()
            .Execute(KeyStore.RetireSigningKeys, new { now })
            .Execute(KeyStore.InsertSigningKey, new { kid, pem, now }), cancellationToken);
        _ring = Load();
        logger.LogInformation("Token signing key rotated: {KeyId} signs from now on", kid);
        return kid;
    }

    private Ring Current()
    {
        var ring = _ring;
        if (ring is not null && time.GetUtcNow() - ring.LoadedAt < RefreshEvery)
        {
            return ring;
        }
        lock (_loading)
        {
            ring = _ring;
            if (ring is null || time.GetUtcNow() - ring.LoadedAt >= RefreshEvery)
            {
                try
                {
                    _ring = ring = Load();
                }
                catch (Exception ex) when (ring is not null)
                {
                    // The database is away for a moment: keep signing and verifying with what is known.
                    logger.LogWarning("Signing key ring not refreshed ({Message}); using the keys already loaded", ex.Message);
                    _ring = ring = ring with { LoadedAt = time.GetUtcNow() };
                }
            }
            return ring;
        }
    }

    private Ring Load()
    {
        var rows = ReadRows();
        if (rows.Count == 0)
        {
            // First start of the first instance: the key file of earlier versions, or a new key. Inserted only while the
            // ring is empty, then read back, so instances starting together agree on one key.
            var path = Path.GetFullPath(options.SigningKeyPath);
            using var key = ECDsa.Create();
            string origin;
            if (File.Exists(path))
            {
                key.ImportFromPem(File.ReadAllText(path));
                origin = $"imported from {path}";
            }
            else
            {
                key.GenerateKey(ECCurve.NamedCurves.nistP256);
                origin = "generated";
            }
            var kid = Describe(key).KeyId;
            db.WriteBatchAsync(new SqlBatch().Execute(KeyStore.InsertFirstSigningKey, new { kid, pem = key.ExportECPrivateKeyPem(), now = StoredTime.Format(time.GetUtcNow()) })).GetAwaiter().GetResult();
            rows = ReadRows();
            logger.LogInformation("Token signing key ring started with key {KeyId} ({Origin})", rows[0].Kid, origin);
        }
        var keys = rows.Select(r =>
        {
            var ecdsa = ECDsa.Create();
            ecdsa.ImportFromPem(r.PrivatePem);
            return Describe(ecdsa) with { CreatedAt = StoredTime.Parse(r.CreatedAt), RetiredAt = r.RetiredAt is { } at ? StoredTime.Parse(at) : null };
        }).ToList();
        var active = keys.Where(k => k.RetiredAt is null).MaxBy(k => k.CreatedAt) ?? keys.MaxBy(k => k.CreatedAt)!;
        return new Ring(keys, active, time.GetUtcNow());
    }

    private List<KeyRow> ReadRows()
    {
        var rows = new List<KeyRow>();
        db.ReadBatchAsync(new SqlBatch().Query<KeyRow>(KeyStore.SigningKeys, null,
            found => rows = found)).GetAwaiter().GetResult();
        return rows;
    }

    private sealed record KeyRow(string Kid, string PrivatePem, string CreatedAt, string? RetiredAt);

    private static Key Describe(ECDsa key)
    {
        var parameters = key.ExportParameters(false);
        var x = WebEncoders.Base64UrlEncode(parameters.Q.X!);
        var y = WebEncoders.Base64UrlEncode(parameters.Q.Y!);
        var kid = Thumbprint(x, y);
        var publicOnly = ECDsa.Create(new ECParameters { Curve = ECCurve.NamedCurves.nistP256, Q = parameters.Q });
        return new Key(kid, x, y, new ECDsaSecurityKey(key) { KeyId = kid }, new ECDsaSecurityKey(publicOnly) { KeyId = kid }, default, null);
    }

    private static string Thumbprint(string x, string y)
    {
        // RFC 7638: the required members in lexicographic order, no whitespace.
        var canonical = $$"""{"crv":"P-256","kty":"EC","x":"{{x}}","y":"{{y}}"}""";
        return WebEncoders.Base64UrlEncode(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(canonical)));
    }
}

/// <summary>The JWKS document (RFC 7517): the public keys that verify access tokens.</summary>
public sealed record JsonWebKeySet(JsonWebKey[] Keys);

/// <summary>One ES256 public key (RFC 7518 §6.2).</summary>
public sealed record JsonWebKey(string Kty, string Crv, string X, string Y, string Kid, string Use, string Alg);
