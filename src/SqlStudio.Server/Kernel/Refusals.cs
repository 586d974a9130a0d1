namespace SqlStudio.Server.Kernel;

/// <summary>
/// The failures a route declares in the OpenAPI document beyond the generic 4XX/5XX: status → the codes and what they
/// mean (<c>.WithMetadata(new Refusals(...))</c>). Features declare them on their routes; the shell's
/// <c>OpenApiContract</c> writes them into the document, the answers of one status joined into one description.
/// </summary>
public sealed record Refusals(params (int Status, string Description)[] Answers)
{
    public static readonly (int, string) Validation = (400, "Bad input (`validation_failed` with `errors` per field, or the rule's own `code`).");
    public static readonly (int, string) Unverified = (403, "The account's email is not confirmed yet (`email_unverified`).");
    public static readonly (int, string) PaymentRequired = (402, "Sync is paused: no trial or subscription covers this account (`subscription_required`).");
    public static readonly (int, string) DeviceRevoked = (403, "This device was removed from the account (`device_revoked`) or the email is not confirmed (`email_unverified`).");
    public static readonly (int, string) NotFound = (404, "No such record for this account (`not_found`).");
    public static readonly (int, string) Busy = (503, "The account's other devices are writing right now (`sync_busy`); `Retry-After` says when to try again.");
    public static readonly (int, string) TooLarge = (413, "The body is over the route's limit (`payload_too_large`).");
    public static readonly (int, string) RateLimited = (429, "Too many tries from this address or for this account (`rate_limited`); `Retry-After` says when to try again.");
    public static readonly (int, string) CaptchaFailed = (400, "The check that a person is asking failed or is missing (`captcha_failed`): solve a new challenge from /api/auth/captcha.");
    public static readonly (int, string) BillingDisabled = (503, "Billing is off on this self-hosted server (`billing_disabled`).");
    public static readonly (int, string) PaymentsUnavailable = (503, "Stripe could not be reached; nothing was charged (`payments_unavailable`).");
}
