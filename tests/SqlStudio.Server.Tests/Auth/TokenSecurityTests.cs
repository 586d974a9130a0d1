using Microsoft.Extensions.DependencyInjection;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using SqlStudio.Testing;

namespace SqlStudio.Server.Tests.Auth;

/// <summary>Access tokens: ES256 pinned; none, key confusion, wrong issuer/audience, expiry and tampering refused.</summary>
public sealed class TokenSecurityTests : OwnTimedServer
{
    private AuthClient? _client;

    private AuthClient Client => _client ??= new(Server);

    [Fact]
    public async Task Token_HasClaimsAndKidFromJwks()
    {
        var tokens = await Client.RegisterVerifiedAsync();

        var jwt = new JsonWebToken(tokens.AccessToken);
        var jwks = JsonDocument.Parse(await Client.Http.GetStringAsync("/.well-known/jwks.json")).RootElement.GetProperty("keys")[0];

        Assert.Equal("ES256", jwt.Alg);
        Assert.Equal(jwks.GetProperty("kid").GetString(), jwt.Kid);
        Assert.Equal("EC", jwks.GetProperty("kty").GetString());
        Assert.False(jwks.TryGetProperty("d", out _));
        foreach (var claim in new[] { "sub", "sid", "jti", "iat", "exp", "iss", "aud" })
        {
            Assert.True(jwt.TryGetPayloadValue<object>(claim, out _), $"missing {claim}");
        }
        Assert.Equal(tokens.SessionId, jwt.GetClaim("sid").Value);
        // The JWKS alone verifies the token, as any other service would.
        var key = new JsonWebKey(jwks.GetRawText());
        var result = await new JsonWebTokenHandler().ValidateTokenAsync(tokens.AccessToken, new TokenValidationParameters
        {
            IssuerSigningKey = key, ValidAudience = "sqlstudio-api", ValidIssuer = TestServer.PublicUrl,
            LifetimeValidator = (_, _, _, _) => true,
        });
        Assert.True(result.IsValid, result.Exception?.Message);
    }

    [Fact]
    public async Task Token_AlgNone_IsRefused()
    {
        var tokens = await Client.RegisterVerifiedAsync();
        var parts = tokens.AccessToken.Split('.');
        var header = Encode("""{"alg":"none","typ":"JWT"}""");

        Assert.Equal(HttpStatusCode.Unauthorized, await MeStatusAsync($"{header}.{parts[1]}."));
    }

    [Fact]
    public async Task Token_Hs256SignedWithPublicKey_IsRefused()
    {
        var tokens = await Client.RegisterVerifiedAsync();
        var payload = tokens.AccessToken.Split('.')[1];
        var header = Encode("""{"alg":"HS256","typ":"JWT"}""");
        var publicPem = Encoding.UTF8.GetBytes(ServerKey().ExportSubjectPublicKeyInfoPem());
        var signature = WebEncoders.Base64UrlEncode(HMACSHA256.HashData(publicPem, Encoding.ASCII.GetBytes($"{header}.{payload}")));

        Assert.Equal(HttpStatusCode.Unauthorized, await MeStatusAsync($"{header}.{payload}.{signature}"));
    }

    [Fact]
    public async Task Token_TamperedPayload_IsRefused()
    {
        var victim = await Client.RegisterVerifiedAsync();
        var attacker = await Client.RegisterVerifiedAsync();
        var parts = attacker.AccessToken.Split('.');
        var payload = Encoding.UTF8.GetString(WebEncoders.Base64UrlDecode(parts[1])).Replace(attacker.User.UserId, victim.User.UserId);

        Assert.Equal(HttpStatusCode.Unauthorized, await MeStatusAsync($"{parts[0]}.{Encode(payload)}.{parts[2]}"));
    }

    [Theory]
    [InlineData("issuer")]
    [InlineData("audience")]
    [InlineData("foreign-key")]
    public async Task Token_SignedWrongly_IsRefused(string defect)
    {
        var tokens = await Client.RegisterVerifiedAsync();
        var now = Time.GetUtcNow().UtcDateTime;
        var key = defect == "foreign-key" ? ECDsa.Create(ECCurve.NamedCurves.nistP256) : ServerKey();
        var token = new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = defect == "issuer" ? "https://evil.example" : TestServer.PublicUrl,
            Audience = defect == "audience" ? "other-api" : "sqlstudio-api",
            IssuedAt = now, NotBefore = now, Expires = now.AddMinutes(5),
            Claims = new Dictionary<string, object> { ["sub"] = tokens.User.UserId, ["sid"] = tokens.SessionId, ["jti"] = "x" },
            SigningCredentials = new SigningCredentials(new ECDsaSecurityKey(key), SecurityAlgorithms.EcdsaSha256),
        });

        Assert.Equal(HttpStatusCode.Unauthorized, await MeStatusAsync(token));
    }

    [Fact]
    public async Task Token_ServerSignedCorrectly_IsAccepted()
    {
        // The control for the test above: the same construction with nothing wrong passes.
        var tokens = await Client.RegisterVerifiedAsync();
        var now = Time.GetUtcNow().UtcDateTime;
        var token = new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = TestServer.PublicUrl, Audience = "sqlstudio-api", IssuedAt = now, NotBefore = now, Expires = now.AddMinutes(5),
            Claims = new Dictionary<string, object> { ["sub"] = tokens.User.UserId, ["sid"] = tokens.SessionId, ["jti"] = "x" },
            SigningCredentials = new SigningCredentials(new ECDsaSecurityKey(ServerKey()), SecurityAlgorithms.EcdsaSha256),
        });

        Assert.Equal(HttpStatusCode.OK, await MeStatusAsync(token));
    }

    [Fact]
    public async Task Token_AfterFifteenMinutes_IsRefused()
    {
        var tokens = await Client.RegisterVerifiedAsync();
        Assert.Equal(HttpStatusCode.OK, await MeStatusAsync(tokens.AccessToken));

        Time.Advance(TimeSpan.FromMinutes(15) + TimeSpan.FromSeconds(31));

        Assert.Equal(HttpStatusCode.Unauthorized, await MeStatusAsync(tokens.AccessToken));
    }

    [Fact]
    public async Task SigningKey_FileOfEarlierVersions_BecomesTheRingsFirstKey()
    {
        // Before the key ring, the key was a PEM file at Auth:SigningKeyPath: tokens signed with it keep their key.
        var data = TestServer.NewDataDirectory();
        using var legacy = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        Directory.CreateDirectory(Path.Combine(data, "keys"));
        await File.WriteAllTextAsync(Path.Combine(data, "keys", "signing.pem"), legacy.ExportECPrivateKeyPem());
        await using var server = await TestServer.StartAsync(o => o.DataDirectory = data);

        var tokens = await new AuthClient(server).RegisterVerifiedAsync();

        var result = await new JsonWebTokenHandler().ValidateTokenAsync(tokens.AccessToken, new TokenValidationParameters
        {
            IssuerSigningKey = new ECDsaSecurityKey(legacy), ValidAudience = "sqlstudio-api", ValidIssuer = TestServer.PublicUrl,
            LifetimeValidator = (_, _, _, _) => true,
        });
        Assert.True(result.IsValid, result.Exception?.Message);
    }

    private async Task<HttpStatusCode> MeStatusAsync(string token) =>
        (await Client.SendAsync(HttpMethod.Get, "/api/auth/me", token)).StatusCode;

    /// <summary>The server's signing key, read from its key ring (the test plays an attacker who has it, or the server itself).</summary>
    private ECDsa ServerKey()
    {
        var pem = "";
        Server.Services.GetRequiredService<SqlStudio.Server.Data.Db>().ReadBatchAsync(new SqlStudio.Server.Data.SqlBatch().Query<string>(
            "SELECT private_pem FROM signing_keys WHERE retired_at IS NULL ORDER BY created_at DESC LIMIT 1", null, rows => pem = rows[0])).GetAwaiter().GetResult();
        var key = ECDsa.Create();
        key.ImportFromPem(pem);
        return key;
    }

    private static string Encode(string json) => WebEncoders.Base64UrlEncode(Encoding.UTF8.GetBytes(json));
}
