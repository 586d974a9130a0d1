using System.Security.Claims;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace SqlStudio.Server.Auth;

/// <summary>Issues the 15-minute ES256 access tokens and describes how they are validated.</summary>
public sealed class AccessTokens(SigningKeys keys, AuthOptions options, AppOptions app, TimeProvider time)
{
    private readonly JsonWebTokenHandler _handler = new() { SetDefaultTimesOnTokenCreation = false };

    public string Issuer => options.Issuer ?? app.PublicUrl.TrimEnd('/');

    public (string Token, DateTimeOffset ExpiresAt) Issue(string userId, string sessionId)
    {
        var now = time.GetUtcNow();
        var expires = now + options.AccessTokenLifetime;
        var token = _handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = options.Audience,
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = expires.UtcDateTime,
            SigningCredentials = new SigningCredentials(keys.SigningKey, SecurityAlgorithms.EcdsaSha256),
            Claims = new Dictionary<string, object>
            {
                [JwtRegisteredClaimNames.Sub] = userId,
                [JwtRegisteredClaimNames.Sid] = sessionId,
                [JwtRegisteredClaimNames.Jti] = Guid.CreateVersion7().ToString(),
            },
        });
        return (token, expires);
    }

    /// <summary>Pinned to ES256 and this service's key ring, issuer and audience; anything else is refused.</summary>
    public TokenValidationParameters ValidationParameters() => new()
    {
        ValidIssuer = Issuer,
        ValidAudience = options.Audience,
        // Any key of the ring that still verifies, chosen by the token's kid (another instance may have rotated).
        IssuerSigningKeyResolver = (_, _, kid, _) => keys.Resolve(kid),
        ValidAlgorithms = [SecurityAlgorithms.EcdsaSha256],
        ValidateIssuer = true,
        ValidateAudience = true,
        ValidateIssuerSigningKey = true,
        ValidateLifetime = true,
        RequireExpirationTime = true,
        RequireSignedTokens = true,
        ClockSkew = options.ClockSkew,
        // Lifetimes are checked against the server's TimeProvider, so tests can move time.
        LifetimeValidator = (notBefore, expires, _, parameters) =>
        {
            var now = time.GetUtcNow().UtcDateTime;
            return expires is { } exp && now <= exp + parameters.ClockSkew && (notBefore is not { } nbf || nbf <= now + parameters.ClockSkew);
        },
        NameClaimType = JwtRegisteredClaimNames.Sub,
    };
}

public static class ClaimsPrincipalExtensions
{
    public static string UserId(this ClaimsPrincipal user) =>
        user.FindFirstValue(JwtRegisteredClaimNames.Sub) ?? throw new InvalidOperationException("No user id in the principal.");

    public static string SessionId(this ClaimsPrincipal user) =>
        user.FindFirstValue(JwtRegisteredClaimNames.Sid) ?? throw new InvalidOperationException("No session id in the principal.");
}
