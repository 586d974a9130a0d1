using Dapper;
using SqlStudio.Contracts;
using SqlStudio.Server.Auth;
using SqlStudio.Server.Billing;
using SqlStudio.Server.Data;
using SqlStudio.Server.Sync;

namespace SqlStudio.Server.Beta;

/// <summary>What support sees of one account on the admin view.</summary>
public sealed record AccountOverview(
    UserRow User, string Tier, SubscriptionRow? Subscription, IReadOnlyList<SessionRow> Sessions, long SessionCount,
    IReadOnlyList<DeviceInfo> Devices, IReadOnlyList<AuditRow> Events);

/// <summary>One day of the admin view's charts.</summary>
public sealed record DayCount(string Day, long Signups, long Pushes);

/// <summary>
/// The admin view's support tools: find an account by email and act on it — send the verification link again, sign
/// out every session, disable or re-enable. Every action is written to the account's audit log with who did it.
/// </summary>
public sealed class SupportTools(
    Db db, AccountStore accounts, SessionStore sessions, SessionTokens tokens, Devices devices, TierService tiers, Accounts accountFlows,
    SessionValidator validator, TimeProvider time)
{
    public async Task<AccountOverview?> FindAsync(string? email)
    {
        email = email?.Trim();
        if (string.IsNullOrEmpty(email) || email.Length > AuthRateLimits.MaxEmailLength || await accounts.FindByEmailAsync(email) is not { } user)
        {
            return null;
        }
        var (active, count) = await sessions.ListActiveAsync(user.UserId, time.GetUtcNow(), limit: 20);
        return new AccountOverview(user, await tiers.TierAsync(user.UserId, user.EmailVerified), await tiers.LatestAsync(user.UserId), active, count,
            await devices.ListAsync(user.UserId), await accounts.RecentEventsAsync(user.UserId, limit: 15));
    }

    public async Task ResendVerificationAsync(string adminEmail, string userId)
    {
        if (await accounts.FindByIdAsync(userId) is { EmailVerified: false } user)
        {
            await accountFlows.ResendVerificationAsync(user.Email);
            await AuditAsync(userId, adminEmail, "resent the verification link");
        }
    }

    /// <summary>Signs out every session of the account, on every instance at once.</summary>
    public async Task<int> RevokeSessionsAsync(string adminEmail, string userId)
    {
        var ended = await tokens.RevokeAsync(userId, null, null, "revoked_by_support");
        await AuditAsync(userId, adminEmail, $"signed out {ended.Count} session(s)");
        return ended.Count;
    }

    /// <summary>A disabled account cannot sign in, and its sessions end at once; re-enabling lets it sign in again.</summary>
    public async Task SetDisabledAsync(string adminEmail, string userId, bool disabled)
    {
        var now = Clock.Format(time.GetUtcNow());
        await db.WriteBatchAsync(new SqlBatch().Execute(
            "UPDATE users SET disabled_at = CASE WHEN @disabled THEN coalesce(disabled_at, @now) ELSE NULL END, updated_at = @now WHERE user_id = @userId",
            new { userId, disabled, now }));
        if (disabled)
        {
            await tokens.RevokeAsync(userId, null, null, "account_disabled");
        }
        validator.ForgetAccount(userId);
        await AuditAsync(userId, adminEmail, disabled ? "disabled the account" : "re-enabled the account");
    }

    /// <summary>Signups and pushes per day for the last <paramref name="days"/> days, oldest first (days without any included).</summary>
    public async Task<IReadOnlyList<DayCount>> ActivityAsync(int days)
    {
        var today = time.GetUtcNow().UtcDateTime.Date;
        var since = Clock.Format(new DateTimeOffset(today.AddDays(1 - days), TimeSpan.Zero));
        var signups = (await db.ReadAsync(c => c.QueryAsync<(string Day, long Count)>(
            "SELECT substr(created_at, 1, 10), count(*) FROM users WHERE created_at >= @since GROUP BY 1", new { since }))).ToDictionary(r => r.Day, r => r.Count);
        var pushes = (await db.ReadAsync(c => c.QueryAsync<(string Day, long Count)>(
            "SELECT substr(created_at, 1, 10), count(*) FROM sync_activity WHERE kind = 'push' AND created_at >= @since GROUP BY 1", new { since })))
            .ToDictionary(r => r.Day, r => r.Count);
        return Enumerable.Range(0, days).Select(i => today.AddDays(i + 1 - days).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture))
            .Select(day => new DayCount(day, signups.GetValueOrDefault(day), pushes.GetValueOrDefault(day))).ToList();
    }

    private Task AuditAsync(string userId, string adminEmail, string what) =>
        accounts.AuditAsync(new AuditEvent("support_action", userId, Detail: $"{adminEmail} {what}"));
}
