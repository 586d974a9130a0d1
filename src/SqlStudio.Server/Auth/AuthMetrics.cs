using System.Diagnostics.Metrics;

namespace SqlStudio.Server.Auth;

/// <summary>
/// <c>sqlstudio_auth_logins_total{outcome}</c> (ok, unknown_email, wrong_password, locked, disabled) and
/// <c>sqlstudio_auth_refresh_reuse_total</c> (a spent refresh token presented again after the grace: a leak).
/// </summary>
public static class AuthMetrics
{
    public const string MeterName = "SqlStudio.Server.Auth";

    private static readonly Meter Meter = new(MeterName);
    private static readonly Counter<long> Logins = Meter.CreateCounter<long>("sqlstudio.auth.logins", description: "Password logins by outcome");
    private static readonly Counter<long> RefreshReuse = Meter.CreateCounter<long>("sqlstudio.auth.refresh_reuse",
        description: "Spent refresh tokens presented again (the session was revoked)");

    public static void Login(string outcome) => Logins.Add(1, new KeyValuePair<string, object?>("outcome", outcome));

    public static void ReuseDetected() => RefreshReuse.Add(1);

    /// <summary>Every series at zero from the start (Observability/MetricSeeds).</summary>
    public static void Seed()
    {
        foreach (var outcome in new[] { "ok", "unknown_email", "wrong_password", "locked", "disabled" })
        {
            Logins.Add(0, new KeyValuePair<string, object?>("outcome", outcome));
        }
        RefreshReuse.Add(0);
    }
}
