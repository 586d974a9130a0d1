using Dapper;
using SqlStudio.Contracts;
using SqlStudio.Server.Data;

namespace SqlStudio.Server.Beta;

/// <summary>
/// Whether the beta worked, against the plan's targets (P2-T40): 50 signups, more than 80 % of verified users through
/// onboarding, more than 50 % syncing, more than 20 % of ended trials converted, satisfaction above 4.0 of 5.
/// </summary>
public sealed class LaunchFigures(Db db, TimeProvider time)
{
    /// <summary>Settable properties: an average over no rows is a NULL with no type for Dapper to match a constructor by.</summary>
    private sealed class Counts
    {
        public long Signups { get; set; }
        public long Verified { get; set; }
        public long Onboarded { get; set; }
        public long Syncing { get; set; }
        public long Trialing { get; set; }
        public long Paying { get; set; }
        public long TrialsEnded { get; set; }
        public long Converted { get; set; }
        public double? Satisfaction { get; set; }
    }

    public async Task<LaunchReport> ReportAsync(CancellationToken ct = default)
    {
        var now = StoredTime.Format(time.GetUtcNow());
        var c = await db.ReadAsync(connection => connection.QuerySingleAsync<Counts>(
            $$"""
            WITH latest AS (
                SELECT user_id, status, trial_end FROM ({{Billing.TierService.CurrentPerUserSql}})
            ),
            onboarded AS (
                SELECT u.user_id FROM users u
                WHERE u.email_verified_at IS NOT NULL
                  AND EXISTS (SELECT 1 FROM devices d WHERE d.user_id = u.user_id)
                  AND u.sync_seq > 0
                  AND EXISTS (SELECT 1 FROM connections k WHERE k.user_id = u.user_id)
            )
            SELECT
                (SELECT count(*) FROM users) AS signups,
                (SELECT count(*) FROM users WHERE email_verified_at IS NOT NULL) AS verified,
                (SELECT count(*) FROM onboarded) AS onboarded,
                (SELECT count(*) FROM users WHERE email_verified_at IS NOT NULL AND sync_seq > 0) AS syncing,
                (SELECT count(*) FROM latest WHERE status = 'trialing') AS trialing,
                (SELECT count(*) FROM latest WHERE status = 'active') AS paying,
                (SELECT count(*) FROM latest WHERE trial_end IS NOT NULL AND trial_end <= @now) AS trials_ended,
                (SELECT count(*) FROM latest WHERE trial_end IS NOT NULL AND trial_end <= @now AND status = 'active') AS converted,
                (SELECT avg(rating) FROM feedback WHERE rating IS NOT NULL) AS satisfaction
            """, new { now }));
        static double? Rate(long part, long whole) => whole == 0 ? null : (double)part / whole;
        var onboarding = Rate(c.Onboarded, c.Verified);
        var syncing = Rate(c.Syncing, c.Verified);
        var conversion = Rate(c.Converted, c.TrialsEnded);
        return new LaunchReport(
            new LaunchFigure(c.Signups, null, "50 signups", c.Signups >= 50),
            new LaunchFigure(c.Verified, Rate(c.Verified, c.Signups), "", true),
            new LaunchFigure(c.Onboarded, onboarding, "> 80 % of verified users", onboarding > 0.8),
            new LaunchFigure(c.Syncing, syncing, "> 50 % of verified users", syncing > 0.5),
            new LaunchFigure(c.Trialing, null, "", true),
            new LaunchFigure(c.Paying, null, "", true),
            new LaunchFigure(c.Converted, conversion, "> 20 % of ended trials", conversion > 0.2),
            new LaunchFigure(c.Satisfaction ?? 0, c.Satisfaction is { } s ? s / 5 : null, "> 4.0 of 5", c.Satisfaction > 4.0),
            now);
    }
}
