using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.WebUtilities;

namespace SqlStudio.Server.Auth;

/// <summary>Random tokens and the hashes stored in their place: the database never holds a usable token.</summary>
public static class Secrets
{
    /// <summary>256 random bits, base64url.</summary>
    public static string NewToken() => WebEncoders.Base64UrlEncode(RandomNumberGenerator.GetBytes(32));

    /// <summary>SHA-256 of the token, hex: what the database keeps.</summary>
    public static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    public static bool FixedTimeEquals(string a, string b) =>
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(a), Encoding.UTF8.GetBytes(b));

    /// <summary>
    /// Encrypts <paramref name="plaintext"/> under a key derived from <paramref name="token"/> (AES-256-GCM), so
    /// only someone holding that token can read it back, on any server instance.
    /// </summary>
    public static string Seal(string token, string plaintext)
    {
        var key = DeriveKey(token);
        var nonce = RandomNumberGenerator.GetBytes(12);
        var data = Encoding.UTF8.GetBytes(plaintext);
        var cipher = new byte[data.Length];
        var tag = new byte[16];
        using (var aes = new AesGcm(key, 16))
        {
            aes.Encrypt(nonce, data, cipher, tag);
        }
        return WebEncoders.Base64UrlEncode([.. nonce, .. tag, .. cipher]);
    }

    public static string? Unseal(string token, string sealedText)
    {
        try
        {
            var bytes = WebEncoders.Base64UrlDecode(sealedText);
            var plain = new byte[bytes.Length - 28];
            using var aes = new AesGcm(DeriveKey(token), 16);
            aes.Decrypt(bytes.AsSpan(0, 12), bytes.AsSpan(28), bytes.AsSpan(12, 16), plain);
            return Encoding.UTF8.GetString(plain);
        }
        catch (Exception ex) when (ex is CryptographicException or FormatException or ArgumentException)
        {
            return null;
        }
    }

    private static byte[] DeriveKey(string token) =>
        HKDF.DeriveKey(HashAlgorithmName.SHA256, Encoding.UTF8.GetBytes(token), 32, info: "sqlstudio refresh replacement"u8.ToArray());
}
