using Dapper;
using SqlStudio.Server.Auth;
using SqlStudio.Server.Data;
using SqlStudio.Server.Email;

namespace SqlStudio.Server.Beta;

/// <summary>
/// The waitlist, with a double opt-in: joining stores the address with a one-time token and emails a confirmation
/// link; only confirmed addresses are ever invited. The caller always hears the same thing, known address or not.
/// </summary>
public sealed class Waitlist(Db db, EmailComposer email, AppOptions app, TimeProvider time)
{
    /// <summary>Adds the address (or sends its confirmation again while it is unconfirmed). Nothing for a confirmed one.</summary>
    public async Task JoinAsync(string address, CancellationToken ct = default)
    {
        var confirmed = await db.ReadAsync(c => c.QuerySingleOrDefaultAsync<string?>(
            "SELECT coalesce(confirmed_at, '') FROM waitlist WHERE email = @address", new { address }));
        if (confirmed is { Length: > 0 })
        {
            return;
        }
        var token = Secrets.NewToken();
        var now = StoredTime.Format(time.GetUtcNow());
        var writes = new SqlBatch().Execute(
            """
            INSERT INTO waitlist (email, token_hash, created_at) VALUES (@address, @hash, @now)
            ON CONFLICT (email) DO UPDATE SET token_hash = excluded.token_hash WHERE confirmed_at IS NULL
            """, new { address, hash = Secrets.Hash(token), now });
        (await email.QueueAsync(address, "", BetaEmails.ConfirmWaitlist(app.Link($"/waitlist/confirm?token={Uri.EscapeDataString(token)}")))).AddTo(writes);
        await db.WriteBatchAsync(writes, ct);
        email.Sent();
    }

    /// <summary>Confirms the address the token was sent to; false for an unknown or spent token.</summary>
    public async Task<bool> ConfirmAsync(string? token, CancellationToken ct = default)
    {
        if (string.IsNullOrWhiteSpace(token) || token.Length > 200)
        {
            return false;
        }
        var confirmed = 0;
        await db.WriteBatchAsync(new SqlBatch().Query<long>(
            "UPDATE waitlist SET confirmed_at = @now, token_hash = NULL WHERE token_hash = @hash AND confirmed_at IS NULL RETURNING 1",
            new { hash = Secrets.Hash(token), now = StoredTime.Format(time.GetUtcNow()) }, rows => confirmed = rows.Count), ct);
        return confirmed > 0;
    }
}
