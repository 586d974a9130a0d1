using System.Net.Mail;
using SqlStudio.Contracts;
using SqlStudio.Server.Data;

namespace SqlStudio.Server.Auth;

/// <summary>Registration, email verification, password reset and change: the account's life outside sessions.</summary>
public sealed class Accounts(
    Db db, AccountStore store, Passwords passwords, SessionTokens sessions, AccountMail mail, AuthRateLimits limits,
    AuthOptions options, TimeProvider time, SessionValidator validator, Beta.Invites invites)
{
    public const string VerifyPurpose = "verify_email";

    /// <summary>
    /// The address a "send me a link" request names, normalised; a failure when it is empty or longer than any mailbox
    /// (refused before it reaches a limiter or the database).
    /// </summary>
    private static (string Email, Failure? Invalid) LinkRequestEmail(string? email)
    {
        email = EmailAddresses.Normalize(email);
        var problem = email.Length == 0 ? "Enter your email address."
            : email.Length > AuthRateLimits.MaxEmailLength ? $"An email address has at most {AuthRateLimits.MaxEmailLength} characters."
            : null;
        return (email, problem is null ? null : Failure.Validation(new Dictionary<string, string[]> { ["email"] = [problem] }));
    }
    public const string ResetPurpose = "reset_password";

    /// <summary>The registration form's field rules (name, email, password), every problem at once; empty when all hold.</summary>
    public static Dictionary<string, string[]> ValidateRegistration(RegisterRequest request)
    {
        var email = EmailAddresses.Normalize(request.Email);
        var name = request.Name?.Trim() ?? "";
        var errors = new Dictionary<string, string[]>();
        if (EmailProblem(email) is { } emailProblem)
        {
            errors["email"] = [emailProblem];
        }
        if (name.Length == 0)
        {
            errors["name"] = ["Enter your name."];
        }
        else if (name.Length > 100)
        {
            errors["name"] = ["Use at most 100 characters."];
        }
        else if (!Kernel.TextRules.IsPrintable(name))
        {
            errors["name"] = ["Use letters, digits, spaces and punctuation only (no control characters)."];
        }
        if (PasswordPolicy.Check(request.Password) is { Count: > 0 } passwordProblems)
        {
            errors["password"] = [.. passwordProblems];
        }
        return errors;
    }

    public async Task<Outcome<RegisterResponse>> RegisterAsync(RegisterRequest request, ClientInfo client)
    {
        var errors = ValidateRegistration(request);
        if (errors.Count > 0)
        {
            return Failure.Validation(errors);
        }
        var email = EmailAddresses.Normalize(request.Email);
        var name = request.Name!.Trim();
        var (inviteId, inviteFailure) = await invites.CheckAsync(request.InviteCode, email);
        if (inviteFailure is not null)
        {
            return inviteFailure;
        }

        // Hashing is slow on purpose; it happens before the write lock is taken.
        var hash = passwords.Hash(request.Password!);
        var userId = Guid.CreateVersion7().ToString();
        var now = time.GetUtcNow();
        var stamp = Secrets.NewToken();
        // The account, its audit line and its verification token: one write batch. A taken email is the UNIQUE
        // constraint refusing the first statement, so nothing of the batch is kept.
        var (token, tokenStatements) = AccountStore.IssueEmailToken(userId, VerifyPurpose, now, options.EmailVerificationLifetime);
        var writes = new SqlBatch();
        AccountStore.InsertUser(userId, email, name, hash, StoredTime.Format(now), verified: false, stamp).AddTo(writes);
        AccountStore.Audit(new AuditEvent(AuditEvents.Registered, userId, client.Ip, client.UserAgent), StoredTime.Format(now)).AddTo(writes);
        foreach (var statement in tokenStatements)
        {
            statement.AddTo(writes);
        }
        // The verification email is a row of the same batch: the account never exists without its email on the way.
        (await mail.VerificationAsync(email, name, token)).AddTo(writes);
        if (inviteId is not null)
        {
            Beta.Invites.Spend(writes, inviteId, userId);
        }
        try
        {
            await db.WriteBatchAsync(writes);
        }
        catch (WriteConflictException) when (inviteId is not null)
        {
            // Another registration took the invite's last use between our read and this write.
            return Beta.Invites.UsedUp;
        }
        catch (Exception ex) when (db.Provider.IsConstraintViolation(ex) && SqlBatch.FailedIndex(ex) == 0)
        {
            return new Failure(409, AuthErrorCodes.EmailTaken,
                "An account with this email already exists. Log in, or reset your password if you have forgotten it.",
                new Dictionary<string, string[]> { ["email"] = ["An account with this email already exists."] });
        }
        mail.Committed();
        return new RegisterResponse(userId, email, VerificationSent: true);
    }

    public async Task<Outcome<UserRow>> VerifyEmailAsync(string? token)
    {
        if (string.IsNullOrWhiteSpace(token) || token.Length > 200)
        {
            return TokenInvalid("verification");
        }
        var userId = await db.WriteAsync(async (c, t) =>
        {
            var now = time.GetUtcNow();
            if (await AccountStore.ConsumeEmailTokenAsync(c, t, token, VerifyPurpose, now) is not { } id)
            {
                return null;
            }
            await AccountStore.MarkVerifiedAsync(c, t, id, StoredTime.Format(now));
            await AccountStore.AuditAsync(c, t, new AuditEvent(AuditEvents.EmailVerified, id), StoredTime.Format(now));
            return id;
        });
        if (userId is null)
        {
            return TokenInvalid("verification");
        }
        validator.ForgetAccount(userId);
        var verified = (await store.FindByIdAsync(userId))!;
        await mail.WelcomeAsync(verified);
        return verified;
    }

    /// <summary>Always "accepted" for the caller; sends only to an existing, unverified account.</summary>
    public async Task<Failure?> ResendVerificationAsync(string? requested)
    {
        var (email, invalid) = LinkRequestEmail(requested);
        if (invalid is not null)
        {
            return invalid;
        }
        var withinBudget = await limits.ResendVerification(email) is null;
        var user = await store.FindByEmailAsync(email);
        var notSent = user is null ? "unknown_email" : user.EmailVerified ? "already_verified" : withinBudget ? null : "over_budget";
        await SendLinkAsync(user, email, notSent, VerifyPurpose, options.EmailVerificationLifetime, AuditEvents.VerificationSent, null,
            (to, name, token, id) => mail.VerificationAsync(to, name, token, id));
        return null;
    }

    /// <summary>Always "accepted" for the caller, whether or not the account exists.</summary>
    public async Task<Failure?> ForgotPasswordAsync(string? requested, ClientInfo client)
    {
        var (email, invalid) = LinkRequestEmail(requested);
        if (invalid is not null)
        {
            return invalid;
        }
        var withinBudget = await limits.ForgotPassword(email) is null;
        var user = await store.FindByEmailAsync(email);
        var notSent = user is null ? "unknown_email" : user.DisabledAt is not null ? "disabled" : withinBudget ? null : "over_budget";
        await SendLinkAsync(user, email, notSent, ResetPurpose, options.PasswordResetLifetime, AuditEvents.PasswordResetRequested, client,
            (to, name, token, id) => mail.ResetAsync(to, name, token, id));
        return null;
    }

    /// <summary>
    /// Sends a link by email — or, when <paramref name="notSent"/> says why not, does the same work without sending it:
    /// the email is rendered and one write batch (its audit line) goes either way, so the answer's timing does not tell
    /// whether the account exists. Past the per-account budget nothing new is sent and no older link is retired: the
    /// newest link already in the inbox keeps working, so spending someone's budget blocks nobody.
    /// </summary>
    private async Task SendLinkAsync(UserRow? user, string email, string? notSent, string purpose, TimeSpan lifetime, string auditEvent,
        ClientInfo? client, Func<string, string, string, string, Task<SqlStatement>> compose)
    {
        var now = time.GetUtcNow();
        var (token, tokenStatements) = AccountStore.IssueEmailToken(user?.UserId ?? "", purpose, now, lifetime);
        var messageId = Guid.CreateVersion7().ToString();
        // Not sent: the same work on a stand-in address (whatever was typed may not even be an address).
        var emailRow = await compose(notSent is null ? user!.Email : "not-sent@sqlstudio.invalid", user?.Name ?? "", token, messageId);
        var writes = new SqlBatch();
        AccountStore.Audit(new AuditEvent(auditEvent, user?.UserId, client?.Ip, client?.UserAgent,
            Detail: notSent is null ? null : $"not sent ({notSent}): {email}"), StoredTime.Format(now)).AddTo(writes);
        if (notSent is null)
        {
            foreach (var statement in tokenStatements)
            {
                statement.AddTo(writes);
            }
        }
        emailRow.AddTo(writes);
        if (notSent is not null)
        {
            // The email row is written and removed in the same transaction: nothing is kept or sent, and the work (and so
            // the time) is that of a sent one. No token is issued and none retired: the newest link already sent still works.
            writes.Execute(Email.EmailStore.Delete, new { messageId });
        }
        await db.WriteBatchAsync(writes);
        if (notSent is null)
        {
            mail.Committed();
        }
    }

    /// <summary>Sets a new password from a reset link, signs out every session, and does not sign in.</summary>
    public async Task<Failure?> ResetPasswordAsync(string? token, string? newPassword, ClientInfo client)
    {
        if (PasswordPolicy.Check(newPassword) is { Count: > 0 } problems)
        {
            return Failure.Validation(new Dictionary<string, string[]> { ["new_password"] = [.. problems] });
        }
        if (string.IsNullOrWhiteSpace(token) || token.Length > 200)
        {
            return TokenInvalid("reset");
        }
        var hash = passwords.Hash(newPassword!);
        var userId = await db.WriteAsync(async (c, t) =>
        {
            var now = time.GetUtcNow();
            if (await AccountStore.ConsumeEmailTokenAsync(c, t, token, ResetPurpose, now) is not { } id)
            {
                return null;
            }
            await AccountStore.SetPasswordAsync(c, t, id, hash, StoredTime.Format(now));
            // Proving control of the mailbox also proves the address.
            await AccountStore.MarkVerifiedAsync(c, t, id, StoredTime.Format(now));
            await AccountStore.AuditAsync(c, t, new AuditEvent(AuditEvents.PasswordReset, id, client.Ip, client.UserAgent), StoredTime.Format(now));
            return id;
        });
        if (userId is null)
        {
            return TokenInvalid("reset");
        }
        validator.ForgetAccount(userId);
        await sessions.RevokeAsync(userId, null, null, "password_reset");
        await mail.PasswordChangedAsync((await store.FindByIdAsync(userId))!);
        return null;
    }

    /// <summary>Changes the password of a signed-in user and signs out their other sessions.</summary>
    public async Task<Failure?> ChangePasswordAsync(string userId, string currentSessionId, ChangePasswordRequest request, ClientInfo client)
    {
        if (await store.FindByIdAsync(userId) is not { } user)
        {
            return new Failure(401, ErrorCodes.Unauthorized, "Sign in again.");
        }
        var errors = new Dictionary<string, string[]>();
        if (!passwords.Verify(user.PasswordHash, request.CurrentPassword ?? "").Ok)
        {
            errors["current_password"] = [user.PasswordHash is null ? "This account has no password yet." : "The current password is not right."];
        }
        if (PasswordPolicy.Check(request.NewPassword) is { Count: > 0 } problems)
        {
            errors["new_password"] = [.. problems];
        }
        if (errors.Count > 0)
        {
            return Failure.Validation(errors);
        }
        var hash = passwords.Hash(request.NewPassword!);
        await db.WriteAsync(async (c, t) =>
        {
            var now = StoredTime.Format(time.GetUtcNow());
            await AccountStore.SetPasswordAsync(c, t, userId, hash, now);
            await AccountStore.AuditAsync(c, t, new AuditEvent(AuditEvents.PasswordChanged, userId, client.Ip, client.UserAgent, currentSessionId), now);
        });
        await sessions.RevokeAsync(userId, null, currentSessionId, "password_changed");
        await mail.PasswordChangedAsync(user);
        return null;
    }

    public static string? EmailProblem(string email)
    {
        if (email.Length == 0)
        {
            return "Enter your email address.";
        }
        if (email.Length > 254 || !Kernel.TextRules.IsWellFormed(email) || !MailAddress.TryCreate(email, out var parsed) || parsed.Address != email ||
            !parsed.Host.Contains('.'))
        {
            return "Enter a valid email address, like name@example.com.";
        }
        if (EmailAddresses.MixesScripts(email))
        {
            return "This address mixes letters of different alphabets that look alike; type it with the letters of one.";
        }
        return null;
    }

    private static Failure TokenInvalid(string kind) =>
        new(400, AuthErrorCodes.TokenInvalid, kind == "reset"
            ? "This reset link is not valid: it was already used, a newer one was sent, or it expired. Ask for a new one."
            : "This verification link is not valid: it was already used, a newer one was sent, or it expired. Ask for a new one.");
}
