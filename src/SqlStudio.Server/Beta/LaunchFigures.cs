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
            BetaStore.LaunchCounts, new { now }));
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
