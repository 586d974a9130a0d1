using System.Security.Cryptography;
using Dapper;
using SqlStudio.Contracts;
using SqlStudio.Server.Auth;
using SqlStudio.Server.Data;
using SqlStudio.Server.Email;

namespace SqlStudio.Server.Beta;

/// <summary>The <c>Beta</c> section (docs/configuration.md).</summary>
public sealed class BetaOptions
{
    public const string Section = "Beta";

    /// <summary>Registration needs a valid invite code (the landing page shows the waitlist form instead).</summary>
    public bool InviteOnly { get; set; }

    /// <summary>Where feedback is forwarded (none: stored and listed only).</summary>
    public string? SupportEmail { get; set; }

    /// <summary>How long an emailed invite stays valid.</summary>
    public TimeSpan InviteLifetime { get; set; } = TimeSpan.FromDays(30);
}

/// <summary>
/// Invite codes: created by an operator (<c>beta codes create</c>) or emailed (<c>beta invite</c>), checked at
/// registration, spent in the same write batch that creates the account. Only a code's hash is stored.
/// </summary>
public sealed class Invites(Db db, BetaOptions options, EmailComposer email, AppOptions app, TimeProvider time)
{
    private const string Alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

    /// <summary>A new code: 16 characters from an alphabet without look-alikes (80 bits), in groups of four.</summary>
    public static string NewCode()
    {
        var bytes = RandomNumberGenerator.GetBytes(16);
        var chars = bytes.Select(b => Alphabet[b % Alphabet.Length]).ToArray();
        return $"{new string(chars, 0, 4)}-{new string(chars, 4, 4)}-{new string(chars, 8, 4)}-{new string(chars, 12, 4)}";
    }

    /// <summary>The code as stored: upper case, without the dashes and spaces people type or paste.</summary>
    public static string Normalize(string code) => new(code.Where(char.IsLetterOrDigit).Select(char.ToUpperInvariant).ToArray());

    private static string HashOf(string code) => Secrets.Hash(Normalize(code));

    public bool Required => options.InviteOnly;

    private sealed record InviteRow(string InviteId, string? Email, long MaxUses, long Uses, string? ExpiresAt);

    /// <summary>
    /// At registration: the invite to spend (null when none was given and none is needed), or why not. Outside invite-only
    /// mode a code that does not check out is ignored rather than standing in the way.
    /// </summary>
    public async Task<(string? InviteId, Failure? Failure)> CheckAsync(string? code, string email)
    {
        if (string.IsNullOrWhiteSpace(code))
        {
            return (null, options.InviteOnly
                ? new Failure(403, BetaErrorCodes.InviteRequired,
                    "SQL Studio Cloud is invite-only during the beta. Join the waitlist on the home page, or use the link in your invite email.")
                : null);
        }
        var row = code.Length > 64 ? null : await db.ReadAsync(c => c.QuerySingleOrDefaultAsync<InviteRow>(
            BetaStore.InviteByCode, new { hash = HashOf(code) }));
        var problem = row switch
        {
            null => "This invite code is not one we issued; check it against your invite email.",
            { Uses: var uses, MaxUses: var max } when uses >= max => "This invite code has already been used.",
            { ExpiresAt: { } expires } when StoredTime.Parse(expires) <= time.GetUtcNow() => "This invite code has expired; ask for a new one.",
            { Email: { } bound } when !bound.Equals(email, StringComparison.OrdinalIgnoreCase) => "This invite was sent to another email address; register with that address.",
            _ => null,
        };
        if (problem is null)
        {
            return (row!.InviteId, null);
        }
        return options.InviteOnly
            ? (null, new Failure(400, BetaErrorCodes.InviteInvalid, problem, new Dictionary<string, string[]> { ["invite_code"] = [problem] }))
            : (null, null);
    }

    /// <summary>The statements that spend one use of the invite, guarded so that two registrations never share its last use.</summary>
    public static void Spend(SqlBatch writes, string inviteId, string userId) => writes
        .Guard(BetaStore.InviteHasUses, new { inviteId })
        .Execute(BetaStore.InviteUse, new { inviteId })
        .Execute(BetaStore.UserInvitedBy, new { inviteId, userId });

    public static readonly Failure UsedUp = new(400, BetaErrorCodes.InviteInvalid, "This invite code has just been used up.",
        new Dictionary<string, string[]> { ["invite_code"] = ["This invite code has just been used up."] });

    /// <summary>A code for <paramref name="uses"/> registrations, optionally expiring and bound to one email; the code itself is returned once.</summary>
    public async Task<string> CreateCodeAsync(int uses, DateTimeOffset? expires, string? boundEmail, string source, CancellationToken ct = default)
    {
        var code = NewCode();
        await db.WriteBatchAsync(new SqlBatch().Execute(Insert, Row(code, uses, expires, boundEmail, source)), ct);
        return code;
    }

    private const string Insert =
        BetaStore.InviteInsert;

    private object Row(string code, int uses, DateTimeOffset? expires, string? boundEmail, string source) => new
    {
        id = Guid.CreateVersion7().ToString(), hash = HashOf(code), email = boundEmail, uses,
        expires = expires is { } e ? StoredTime.Format(e) : null, source, now = StoredTime.Format(time.GetUtcNow()),
    };

    /// <summary>
    /// Emails each address a single-use invite bound to it, valid for <see cref="BetaOptions.InviteLifetime"/>; the code
    /// and its email are one write batch (both or neither). Addresses already registered are skipped and returned apart.
    /// </summary>
    public async Task<(IReadOnlyList<string> Invited, IReadOnlyList<string> AlreadyUsers)> InviteAsync(IEnumerable<string> emails, string source,
        CancellationToken ct = default)
    {
        var invited = new List<string>();
        var users = new List<string>();
        foreach (var address in emails.Select(e => e.Trim()).Where(e => e.Length > 0).Distinct(StringComparer.OrdinalIgnoreCase))
        {
            if (await db.ReadAsync(c => c.ExecuteScalarAsync<long>(BetaStore.UsersWithEmail, new { address })) > 0)
            {
                users.Add(address);
                continue;
            }
            var code = NewCode();
            var expires = time.GetUtcNow() + options.InviteLifetime;
            var link = app.Link($"/register?invite={Uri.EscapeDataString(code)}&email={Uri.EscapeDataString(address)}");
            var writes = new SqlBatch().Execute(Insert, Row(code, 1, expires, address, source));
            (await email.QueueAsync(address, "", BetaEmails.Invite(link, code, options.InviteLifetime))).AddTo(writes);
            if (source == "waitlist")
            {
                writes.Execute(BetaStore.WaitlistInvited, new { address, now = StoredTime.Format(time.GetUtcNow()) });
            }
            await db.WriteBatchAsync(writes, ct);
            invited.Add(address);
        }
        email.Sent();
        return (invited, users);
    }

    /// <summary>Invites the <paramref name="count"/> people who confirmed their place on the waitlist first and have not been invited.</summary>
    public async Task<(IReadOnlyList<string> Invited, IReadOnlyList<string> AlreadyUsers)> InviteFromWaitlistAsync(int count, CancellationToken ct = default)
    {
        var next = (await db.ReadAsync(c => c.QueryAsync<string>(
            BetaStore.WaitlistToInvite,
            new { count }))).ToList();
        return await InviteAsync(next, "waitlist", ct);
    }
}

/// <summary>The beta's emails.</summary>
public static class BetaEmails
{
    public static EmailContent Invite(string link, string code, TimeSpan lifetime) => new(
        "Your invite to SQL Studio Cloud",
        "Hello,",
        ["You are invited to the SQL Studio Cloud beta: your connections (never their passwords), query tabs, history, saved queries and AI chats, synced across your devices and kept while you are offline.",
         $"The link below opens registration with your invite filled in; it works once, for this email address, for {lifetime.TotalDays:0} days. Your invite code, should you need to type it: {code}."],
        "Create my account", link);

    public static EmailContent ConfirmWaitlist(string link) => new(
        "Confirm your place on the SQL Studio Cloud waitlist",
        "Hello,",
        ["Someone — we hope you — asked to join the SQL Studio Cloud beta waitlist with this address. Confirm below and we will email your invite as soon as there is room.",
         "If it was not you, ignore this email: without confirmation the address is not kept on the list."],
        "Confirm my place", link);

    public static EmailContent Feedback(string from, string kind, int? rating, string message, string? context) => new(
        $"Feedback ({kind}{(rating is { } r ? $", {r}/5" : "")}) from {from}",
        "New feedback from the beta:",
        [message, .. context is null ? Array.Empty<string>() : [$"Context: {context}"]]);
}
