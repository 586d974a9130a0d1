namespace SqlStudio.Server.Kernel;

/// <summary>
/// The failures a route declares in the OpenAPI document beyond the generic 4XX/5XX: status → the codes and what they
/// mean (<c>.WithMetadata(new Refusals(...))</c>). Features declare them on their routes; the shell's
/// <c>OpenApiContract</c> writes them into the document.
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
}
