using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace SqlStudio.Server.Auth;

/// <summary>
/// ASP.NET Core Identity's PBKDF2-HMAC-SHA512 hasher at <c>Auth:PasswordIterations</c> (≥ 210,000). Verifying an
/// unknown account runs the same work against a dummy hash, so timing does not tell whether an email exists.
/// </summary>
public sealed class Passwords
{
    private readonly PasswordHasher<object> _hasher;
    private readonly Lazy<string> _dummyHash;
    private static readonly object Subject = new();

    public Passwords(AuthOptions options)
    {
        _hasher = new PasswordHasher<object>(Options.Create(new PasswordHasherOptions
        {
            CompatibilityMode = PasswordHasherCompatibilityMode.IdentityV3,
            IterationCount = options.PasswordIterations,
        }));
        _dummyHash = new Lazy<string>(() => _hasher.HashPassword(Subject, Secrets.NewToken()));
    }

    public string Hash(string password) => _hasher.HashPassword(Subject, password);

    /// <summary>Checks a password; <c>NeedsRehash</c> when the stored hash uses older parameters.</summary>
    public (bool Ok, bool NeedsRehash) Verify(string? storedHash, string password)
    {
        var result = _hasher.VerifyHashedPassword(Subject, storedHash ?? _dummyHash.Value, password);
        if (storedHash is null)
        {
            return (false, false);
        }
        return result switch
        {
            PasswordVerificationResult.Success => (true, false),
            PasswordVerificationResult.SuccessRehashNeeded => (true, true),
            _ => (false, false),
        };
    }

    /// <summary>The same work as a real check, for accounts that do not exist or cannot log in.</summary>
    public void VerifyDummy(string password) => _hasher.VerifyHashedPassword(Subject, _dummyHash.Value, password);
}
