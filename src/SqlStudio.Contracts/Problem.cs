namespace SqlStudio.Contracts;

/// <summary>The machine-readable error codes the API answers with (the <c>code</c> of a Problem Details body).</summary>
public static class ErrorCodes
{
    public const string ValidationFailed = "validation_failed";
    public const string NotFound = "not_found";
    public const string MethodNotAllowed = "method_not_allowed";
    public const string MalformedJson = "malformed_json";
    public const string PayloadTooLarge = "payload_too_large";
    public const string UriTooLong = "uri_too_long";
    public const string HeadersTooLarge = "headers_too_large";
    public const string InternalError = "internal_error";
    public const string RateLimited = "rate_limited";
    public const string BadRequest = "bad_request";
    public const string Unauthorized = "unauthorized";
    public const string Forbidden = "forbidden";
    public const string Conflict = "conflict";
    public const string Gone = "gone";
    public const string UnsupportedMediaType = "unsupported_media_type";
    public const string Unavailable = "unavailable";
    public const string MalformedBody = "malformed_body";
    public const string DatabaseUnavailable = "database_unavailable";
    public const string Error = "error";
}

/// <summary>Codes of the Auth endpoints (docs/security.md; each route's in the OpenAPI document).</summary>
public static class AuthErrorCodes
{
    public const string CaptchaFailed = "captcha_failed";
    public const string EmailTaken = "email_taken";
    public const string TokenInvalid = "token_invalid";
    public const string TokenReused = "token_reused";
    public const string InvalidCredentials = "invalid_credentials";
    public const string EmailUnverified = "email_unverified";
    public const string LastSignInMethod = "last_sign_in_method";
    public const string InvalidRedirectUri = "invalid_redirect_uri";
    public const string InvalidCodeChallenge = "invalid_code_challenge";
    public const string ReauthenticationRequired = "reauthentication_required";
    public const string ExternalLoginRefused = "external_login_refused";
}

/// <summary>Codes of the billing endpoints and Stripe's webhook.</summary>
public static class BillingErrorCodes
{
    public const string BillingDisabled = "billing_disabled";
    public const string SignatureInvalid = "signature_invalid";
    public const string AlreadySubscribed = "already_subscribed";
    public const string NoCustomer = "no_customer";
    public const string NotComplete = "not_complete";
    public const string PaymentsUnavailable = "payments_unavailable";
    public const string BillingUnavailable = "billing_unavailable";
}
