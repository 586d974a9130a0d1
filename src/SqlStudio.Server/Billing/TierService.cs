using SqlStudio.Contracts;

namespace SqlStudio.Server.Billing;

/// <summary>
/// Which tier an account has. Until billing lands the server runs self-hosted: every verified account has the
/// Individual tier; an unverified one is free (sync and billing answer 403 email_unverified anyway).
/// </summary>
public sealed class TierService
{
    public string TierFor(bool emailVerified) => emailVerified ? Tiers.Individual : Tiers.Free;
}
