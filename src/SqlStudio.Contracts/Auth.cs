namespace SqlStudio.Contracts;

// Requests keep every field nullable: a missing field is a validation error with a message, not a binding failure.

public sealed record RegisterRequest(string? Email, string? Password, string? Name, string? Captcha = null, string? InviteCode = null);

public sealed record RegisterResponse(string UserId, string Email, bool VerificationSent);

public sealed record VerifyEmailRequest(string? Token);

public sealed record VerifyEmailResponse(bool EmailVerified);

/// <summary>Body of resend-verification and forgot-password.</summary>
public sealed record EmailRequest(string? Email, string? Captcha = null);

public sealed record LoginRequest(
    string? Email, string? Password, bool RememberMe = false, string? DeviceId = null, string? DeviceName = null, string? Platform = null);

public sealed record RefreshRequest(string? RefreshToken);

public sealed record ResetPasswordRequest(string? Token, string? NewPassword);

public sealed record ResetPasswordResponse(bool PasswordReset);

public sealed record ChangePasswordRequest(string? CurrentPassword, string? NewPassword);

/// <summary><c>DELETE /api/account</c>: the password, or nothing for an account without one (then a recent sign-in is the proof).</summary>
public sealed record DeleteAccountRequest(string? Password);

public static class Tiers
{
    public const string Free = "free";
    public const string Individual = "individual";
}

public sealed record UserSummary(string UserId, string Email, string Name, bool EmailVerified, string Tier);

public sealed record MeResponse(string UserId, string Email, string Name, bool EmailVerified, string Tier, string CreatedAt);

public sealed record TokenResponse(
    string AccessToken, string RefreshToken, string TokenType, int ExpiresIn, int RefreshExpiresIn, string SessionId, UserSummary User);

public sealed record SessionInfo(
    string SessionId, string? DeviceId, string? DeviceName, string? Platform, string? UserAgent, string? Ip,
    string CreatedAt, string LastSeenAt, string ExpiresAt, bool Current);
