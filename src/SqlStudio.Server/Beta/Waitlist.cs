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
            BetaStore.WaitlistConfirmedAt, new { address }));
        if (confirmed is { Length: > 0 })
        {
            return;
        }
        var token = Secrets.NewToken();
        var now = StoredTime.Format(time.GetUtcNow());
        var writes = new SqlBatch().Execute(
            BetaStore.WaitlistJoin, new { address, hash = Secrets.Hash(token), now });
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
            BetaStore.WaitlistConfirm,
            new { hash = Secrets.Hash(token), now = StoredTime.Format(time.GetUtcNow()) }, rows => confirmed = rows.Count), ct);
        return confirmed > 0;
    }
}
