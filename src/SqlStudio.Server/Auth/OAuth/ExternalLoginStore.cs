using System.Data.Common;
using Dapper;

namespace SqlStudio.Server.Auth.OAuth;

/// <summary>SQL for GitHub/Google sign-ins linked to accounts, and the desktop app's one-time codes.</summary>
public static class ExternalLoginStore
{
    public static Task<string?> UserOfAsync(DbConnection c, string provider, string providerUserId) =>
        c.QuerySingleOrDefaultAsync<string?>("SELECT user_id FROM external_logins WHERE provider = @provider AND provider_user_id = @providerUserId",
            new { provider, providerUserId });

    public static async Task<IReadOnlyList<LinkedLogin>> LinkedAsync(DbConnection c, string userId) =>
        (await c.QueryAsync<LinkedLogin>("SELECT provider, email, created_at FROM external_logins WHERE user_id = @userId ORDER BY provider", new { userId })).ToList();

    /// <summary>Whether the account keeps a way to sign in once <paramref name="provider"/> is gone: a password or another provider.</summary>
    public static async Task<bool> HasAnotherWayInAsync(DbConnection c, DbTransaction t, string userId, string provider) =>
        await c.ExecuteScalarAsync<long>(
            """
            SELECT (SELECT count(*) FROM users WHERE user_id = @userId AND password_hash IS NOT NULL)
                 + (SELECT count(*) FROM external_logins WHERE user_id = @userId AND provider <> @provider)
            """, new { userId, provider }, t) > 0;

    public static Task<int> UnlinkAsync(DbConnection c, DbTransaction t, string userId, string provider) =>
        c.ExecuteAsync("DELETE FROM external_logins WHERE user_id = @userId AND provider = @provider", new { userId, provider }, t);

    /// <summary>Links (or re-links, when the provider's account for this user changed) one provider.</summary>
    public static Task LinkAsync(DbConnection c, DbTransaction t, string userId, ExternalIdentity identity, string now) =>
        c.ExecuteAsync(
            """
            INSERT INTO external_logins (provider, provider_user_id, user_id, email, created_at)
            VALUES (@Provider, @ProviderUserId, @userId, @Email, @now)
            ON CONFLICT (user_id, provider) DO UPDATE SET provider_user_id = excluded.provider_user_id, email = excluded.email
            """, new { identity.Provider, identity.ProviderUserId, identity.Email, userId, now }, t);

    public static Task SaveCodeAsync(DbConnection c, DbTransaction t, string codeHash, string userId, string provider, string codeChallenge,
        string redirectUri, string created, string expires) =>
        c.ExecuteAsync(
            """
            INSERT INTO oauth_codes (code_hash, user_id, provider, code_challenge, redirect_uri, created_at, expires_at)
            VALUES (@codeHash, @userId, @provider, @codeChallenge, @redirectUri, @created, @expires)
            """, new { codeHash, userId, provider, codeChallenge, redirectUri, created, expires }, t);

    /// <summary>Spends a code that is unused and unexpired, whatever happens next; its owner and challenge, or nulls.</summary>
    public static Task<(string UserId, string CodeChallenge, string Provider)> SpendCodeAsync(DbConnection c, DbTransaction t, string codeHash, string now) =>
        c.QuerySingleOrDefaultAsync<(string UserId, string CodeChallenge, string Provider)>(
            """
            UPDATE oauth_codes SET used_at = @now
            WHERE code_hash = @codeHash AND used_at IS NULL AND expires_at > @now
            RETURNING user_id, code_challenge, provider
            """, new { codeHash, now }, t);
}
