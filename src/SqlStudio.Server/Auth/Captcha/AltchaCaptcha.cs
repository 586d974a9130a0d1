using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Caching.Memory;

namespace SqlStudio.Server.Auth.Captcha;

/// <summary>
/// Self-hosted proof of work compatible with the <c>altcha</c> widget (protocol v2, algorithm SHA-256,
/// deterministic mode): the server draws a secret counter, derives the key for it, and publishes the key's
/// first half as <c>keyPrefix</c>; the browser must find the counter by trying every value. The challenge
/// parameters are HMAC-signed, carry an expiry, and each solved challenge is accepted once.
/// </summary>
public sealed class AltchaCaptcha : ICaptcha
{
    private const string Algorithm = "SHA-256";
    private const int KeyLength = 32;
    private static readonly JsonSerializerOptions Canonical = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly AltchaOptions _options;
    private readonly TimeProvider _time;
    private readonly IMemoryCache _spent;
    private readonly Bus.InstanceBus _shared;
    private readonly byte[] _hmacKey;

    public AltchaCaptcha(AltchaOptions options, TimeProvider time, IMemoryCache spent, Bus.InstanceBus shared)
    {
        _options = options;
        _time = time;
        _spent = spent;
        _shared = shared;
        _hmacKey = Encoding.UTF8.GetBytes(options.HmacKey ?? LoadOrCreateKey(options.KeyPath));
    }

    public string Provider => "altcha";

    public object? CreateChallenge()
    {
        var salt = RandomNumberGenerator.GetBytes(16);
        var nonce = RandomNumberGenerator.GetBytes(16);
        var counter = RandomNumberGenerator.GetInt32(_options.CounterMin, _options.CounterMax + 1);
        var key = DeriveKey(salt, nonce, (uint)counter, _options.Cost);
        var parameters = new JsonObject
        {
            ["algorithm"] = Algorithm,
            ["cost"] = _options.Cost,
            ["expiresAt"] = (_time.GetUtcNow() + _options.Expiry).ToUnixTimeSeconds(),
            ["keyLength"] = KeyLength,
            ["keyPrefix"] = Convert.ToHexStringLower(key.AsSpan(0, KeyLength / 2)),
            ["nonce"] = Convert.ToHexStringLower(nonce),
            ["salt"] = Convert.ToHexStringLower(salt),
        };
        return new JsonObject { ["parameters"] = parameters, ["signature"] = Sign(parameters) };
    }

    public async Task<bool> VerifyAsync(string? response, string? remoteIp, CancellationToken cancellationToken) =>
        Verify(response) is { } solved && await MarkSpentAsync(solved.Signature, solved.ExpiresAt);

    /// <summary>A right, unexpired answer (not yet spent: <see cref="VerifyAsync"/> spends it when the form goes through).</summary>
    public bool CanKeep(string? response) => Verify(response) is not null;

    /// <summary>The solved challenge's signature and expiry when the answer is right; null otherwise.</summary>
    private (string Signature, long ExpiresAt)? Verify(string? response)
    {
        if (string.IsNullOrWhiteSpace(response) || response.Length > 4096)
        {
            return null;
        }
        try
        {
            var payload = JsonNode.Parse(Convert.FromBase64String(response))!.AsObject();
            var parameters = payload["challenge"]!["parameters"]!.AsObject();
            var signature = payload["challenge"]!["signature"]!.GetValue<string>();
            var solution = payload["solution"]!.AsObject();

            if (!CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Sign(parameters)), Encoding.ASCII.GetBytes(signature)))
            {
                return null;
            }
            // The signature vouches for everything below: these are our own values.
            if (parameters["algorithm"]!.GetValue<string>() != Algorithm ||
                parameters["expiresAt"]!.GetValue<long>() < _time.GetUtcNow().ToUnixTimeSeconds())
            {
                return null;
            }
            var counter = solution["counter"]!.GetValue<long>();
            var derivedKey = solution["derivedKey"]!.GetValue<string>();
            if (counter is < 0 or > uint.MaxValue)
            {
                return null;
            }
            var key = DeriveKey(
                Convert.FromHexString(parameters["salt"]!.GetValue<string>()),
                Convert.FromHexString(parameters["nonce"]!.GetValue<string>()),
                (uint)counter, parameters["cost"]!.GetValue<int>());
            var keyHex = Convert.ToHexStringLower(key);
            if (keyHex != derivedKey || !keyHex.StartsWith(parameters["keyPrefix"]!.GetValue<string>(), StringComparison.Ordinal))
            {
                return null;
            }
            return (signature, parameters["expiresAt"]!.GetValue<long>());
        }
        catch (Exception ex) when (ex is FormatException or JsonException or InvalidOperationException or NullReferenceException or ArgumentException)
        {
            return null;
        }
    }

    /// <summary>
    /// A solution is good once: with <c>Notifications:Redis</c>, for every instance (<c>SET NX</c> with the challenge's
    /// expiry); without it, or while Redis is unreachable, on this instance.
    /// </summary>
    private async Task<bool> MarkSpentAsync(string signature, long expiresAt)
    {
        var keep = DateTimeOffset.FromUnixTimeSeconds(expiresAt).AddMinutes(1) - _time.GetUtcNow();
        if (_shared.UsesRedis)
        {
            try
            {
                var redis = await _shared.ConnectAsync();
                return await redis.GetDatabase().StringSetAsync("sqlstudio:altcha-spent:" + signature, 1,
                    keep > TimeSpan.Zero ? keep : TimeSpan.FromMinutes(1), StackExchange.Redis.When.NotExists);
            }
            catch (Exception ex) when (ex is StackExchange.Redis.RedisException or TimeoutException or ObjectDisposedException)
            {
                // Unreachable: this instance still refuses a second use of what it has seen.
            }
        }
        return MarkSpent(signature, expiresAt);
    }

    private bool MarkSpent(string signature, long expiresAt)
    {
        lock (_spent)
        {
            if (_spent.TryGetValue("altcha:" + signature, out _))
            {
                return false;
            }
            _spent.Set("altcha:" + signature, true, DateTimeOffset.FromUnixTimeSeconds(expiresAt).AddMinutes(1));
            return true;
        }
    }

    /// <summary>SHA-256 over salt ‖ nonce ‖ counter (big-endian uint32), iterated <paramref name="cost"/> times.</summary>
    internal static byte[] DeriveKey(byte[] salt, byte[] nonce, uint counter, int cost)
    {
        var input = new byte[salt.Length + nonce.Length + 4];
        salt.CopyTo(input, 0);
        nonce.CopyTo(input, salt.Length);
        BinaryPrimitives.WriteUInt32BigEndian(input.AsSpan(salt.Length + nonce.Length), counter);
        var key = SHA256.HashData(input);
        for (var i = 1; i < Math.Max(1, cost); i++)
        {
            key = SHA256.HashData(key);
        }
        return key.AsSpan(0, KeyLength).ToArray();
    }

    /// <summary>HMAC-SHA256 over the parameters as JSON with sorted keys (the widget's canonical form).</summary>
    private string Sign(JsonObject parameters)
    {
        var sorted = new JsonObject();
        foreach (var (name, value) in parameters.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            sorted[name] = value?.DeepClone();
        }
        return Convert.ToHexStringLower(HMACSHA256.HashData(_hmacKey, Encoding.UTF8.GetBytes(sorted.ToJsonString(Canonical))));
    }

    private static string LoadOrCreateKey(string path)
    {
        path = Path.GetFullPath(path);
        if (File.Exists(path))
        {
            return File.ReadAllText(path).Trim();
        }
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var key = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        try
        {
            using var writer = new StreamWriter(new FileStream(path, options));
            writer.Write(key);
            return key;
        }
        catch (IOException) when (File.Exists(path))
        {
            return File.ReadAllText(path).Trim();
        }
    }
}
