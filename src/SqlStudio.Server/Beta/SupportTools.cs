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

/// <summary>One bucket (an hour or a day) of the admin view's charts.</summary>
public sealed record ChartBucket(string Label, long Signups, long Requests, long Errors, long Conflicts, long Devices, double P50, double P95, double P99)
{
    public double ErrorRate => Requests == 0 ? 0 : 100.0 * Errors / Requests;
}

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
        var now = StoredTime.Format(time.GetUtcNow());
        await db.WriteBatchAsync(new SqlBatch().Execute(
            BetaStore.SetDisabled,
            new { userId, disabled, now }));
        if (disabled)
        {
            await tokens.RevokeAsync(userId, null, null, "account_disabled");
        }
        validator.ForgetAccount(userId);
        await AuditAsync(userId, adminEmail, disabled ? "disabled the account" : "re-enabled the account");
    }

    /// <summary>
    /// The admin view's charts for the last <paramref name="window"/> in buckets of <paramref name="bucket"/>, oldest first
    /// (empty buckets included): signups, sync requests, errors, conflicts, devices seen, and sync latency p50/p95/p99,
    /// all from the server's own tables.
    /// </summary>
    public async Task<IReadOnlyList<ChartBucket>> ChartsAsync(TimeSpan window, TimeSpan bucket) => (await ChartsAsync([(window, bucket)]))[0];

    /// <summary>Several views (the last 24 hours by hour, the last 7 days by day) from one read of the widest window (at most the newest 200,000 activity lines).</summary>
    public async Task<IReadOnlyList<IReadOnlyList<ChartBucket>>> ChartsAsync(IReadOnlyList<(TimeSpan Window, TimeSpan Bucket)> views)
    {
        var now = time.GetUtcNow();
        DateTimeOffset Start((TimeSpan Window, TimeSpan Bucket) view) =>
            new DateTimeOffset(now.UtcTicks - now.UtcTicks % view.Bucket.Ticks, TimeSpan.Zero) + view.Bucket - view.Window;
        var since = StoredTime.Format(views.Min(Start));
        var activity = (await db.ReadAsync(c => c.QueryAsync<ActivityLine>(
            BetaStore.ActivitySince, new { since }))).Select(a => (At: StoredTime.Parse(a.CreatedAt), Line: a)).ToList();
        var signups = (await db.ReadAsync(c => c.QueryAsync<string>(BetaStore.SignupsSince, new { since })))
            .Select(StoredTime.Parse).ToList();
        return views.Select(view => Buckets(Start(view), view.Bucket, (int)(view.Window.Ticks / view.Bucket.Ticks), activity, signups)).ToList();
    }

    private static IReadOnlyList<ChartBucket> Buckets(DateTimeOffset start, TimeSpan bucket, int count,
        List<(DateTimeOffset At, ActivityLine Line)> activity, List<DateTimeOffset> signups)
    {
        int Index(DateTimeOffset at) => at < start ? -1 : (int)((at - start).Ticks / bucket.Ticks);
        var lines = activity.GroupBy(a => Index(a.At)).ToDictionary(g => g.Key, g => g.Select(a => a.Line).ToList());
        var joined = signups.GroupBy(Index).ToDictionary(g => g.Key, g => (long)g.Count());
        var daily = bucket >= TimeSpan.FromDays(1);
        return Enumerable.Range(0, count).Select(i =>
        {
            var label = (start + bucket * i).ToString(daily ? "MM-dd" : "HH:00", System.Globalization.CultureInfo.InvariantCulture);
            var here = lines.GetValueOrDefault(i) ?? [];
            var durations = here.Select(a => (double)a.DurationMs).Order().ToList();
            return new ChartBucket(label, joined.GetValueOrDefault(i), here.Count, here.Count(a => a.Failed), here.Sum(a => a.Conflicts),
                here.Select(a => a.DeviceId).Where(d => d is not null).Distinct().Count(),
                Percentile(durations, 0.50), Percentile(durations, 0.95), Percentile(durations, 0.99));
        }).ToList();
    }

    private sealed class ActivityLine
    {
        public string CreatedAt { get; set; } = "";
        public string? DeviceId { get; set; }
        public long DurationMs { get; set; }
        public bool Failed { get; set; }
        public long Conflicts { get; set; }
    }

    /// <summary>Nearest-rank percentile of sorted values (0 when there are none).</summary>
    private static double Percentile(List<double> sorted, double p) =>
        sorted.Count == 0 ? 0 : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];

    private Task AuditAsync(string userId, string adminEmail, string what) =>
        accounts.AuditAsync(new AuditEvent("support_action", userId, Detail: $"{adminEmail} {what}"));
}
