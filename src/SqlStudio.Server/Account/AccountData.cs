using System.Text.Json;
using Dapper;
using SqlStudio.Contracts;
using SqlStudio.Server.Auth;
using SqlStudio.Server.Billing;
using SqlStudio.Server.Data;
using SqlStudio.Server.Email;
using SqlStudio.Server.Sync;

namespace SqlStudio.Server.Account;

/// <summary>
/// What the privacy page promises: a copy of everything the account holds (never a secret), and deletion of all of
/// it — sessions ended on every instance, the Stripe subscription canceled, a confirmation email.
/// </summary>
public sealed class AccountData(
    Db db, AccountStore accounts, Passwords passwords, SessionStore sessions, Devices devices, TierService tiers, BillingOptions billing,
    StripeGateway stripe, EmailComposer email, SessionValidator validator, Bus.InstanceBus events, TimeProvider time, ILogger<AccountData> logger)
{
    /// <summary>An account without a password proves it is its owner by a sign-in this recent.</summary>
    public static readonly TimeSpan ReauthenticationWindow = TimeSpan.FromMinutes(5);

    private const int ExportPage = 500;

    private static readonly JsonSerializerOptions SnakeCase = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static readonly Failure BillingUnavailable = new(503, BillingErrorCodes.BillingUnavailable,
        "We could not cancel your subscription at Stripe just now, so nothing was deleted. Try again in a few minutes.");

    /// <summary>
    /// Writes the export as one JSON document: the account, its sign-in methods, sessions, devices, subscription,
    /// recent security events, and every live synced record by type. Records are read a page at a time, so a large
    /// account does not sit in memory. Password hashes, token hashes and security stamps are never part of it.
    /// </summary>
    public async Task WriteExportAsync(string userId, Stream output, CancellationToken cancellationToken)
    {
        var user = await accounts.FindByIdAsync(userId) ?? throw new InvalidOperationException("The account no longer exists.");
        var now = time.GetUtcNow();
        await using var json = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        json.WriteString("format", "sqlstudio-account-export/1");
        json.WriteString("exported_at", StoredTime.Format(now));

        json.WriteStartObject("account");
        json.WriteString("user_id", user.UserId);
        json.WriteString("email", user.Email);
        json.WriteString("name", user.Name);
        json.WriteBoolean("email_verified", user.EmailVerified);
        json.WriteString("role", user.Role);
        json.WriteString("tier", await tiers.TierAsync(userId, user.EmailVerified));
        json.WriteString("created_at", user.CreatedAt);
        json.WriteBoolean("has_password", user.PasswordHash is not null);
        json.WriteEndObject();

        var logins = await db.ReadAsync(c => c.QueryAsync<(string Provider, string? Email, string CreatedAt)>(
            AccountDataStore.ExternalLogins, new { userId }));
        WriteArray(json, "sign_in_methods", logins, login =>
        {
            json.WriteString("provider", login.Provider);
            json.WriteString("email", login.Email);
            json.WriteString("linked_at", login.CreatedAt);
        });

        var (active, _) = await sessions.ListActiveAsync(userId, now, limit: 1000);
        WriteArray(json, "sessions", active, session =>
        {
            json.WriteString("session_id", session.SessionId);
            json.WriteString("kind", session.Kind);
            json.WriteString("device_name", session.DeviceName);
            json.WriteString("platform", session.Platform);
            json.WriteString("user_agent", session.UserAgent);
            json.WriteString("ip", session.Ip);
            json.WriteString("created_at", session.CreatedAt);
            json.WriteString("last_seen_at", session.LastSeenAt);
            json.WriteString("expires_at", session.ExpiresAt);
        });

        json.WritePropertyName("devices");
        // Through an element: serializing straight into the writer would flush it synchronously to the response.
        JsonSerializer.SerializeToElement(await devices.ListAsync(userId), SnakeCase).WriteTo(json);

        json.WritePropertyName("subscription");
        if (await tiers.LatestAsync(userId) is { } subscription)
        {
            json.WriteStartObject();
            json.WriteString("status", subscription.Status);
            json.WriteString("plan", subscription.PlanId);
            json.WriteString("trial_end", subscription.TrialEnd);
            json.WriteString("current_period_end", subscription.CurrentPeriodEnd);
            json.WriteBoolean("cancel_at_period_end", subscription.CancelAtPeriodEnd == 1);
            json.WriteEndObject();
        }
        else
        {
            json.WriteNullValue();
        }

        WriteArray(json, "security_events", await accounts.RecentEventsAsync(userId, limit: 1000), e =>
        {
            json.WriteString("event", e.Event);
            json.WriteString("ip", e.Ip);
            json.WriteString("user_agent", e.UserAgent);
            json.WriteString("at", e.CreatedAt);
        });

        json.WriteStartObject("records");
        foreach (var spec in EntityCatalogue.All)
        {
            json.WriteStartArray(spec.Type);
            var after = 0L;
            while (true)
            {
                var page = new List<SyncRow>();
                var batch = new SqlBatch();
                SyncStore.LoadLive(batch, spec, userId, after, ExportPage, rows => page = rows);
                await db.ReadBatchAsync(batch, cancellationToken);
                foreach (var row in page)
                {
                    SyncRecords.Write(json, spec, row);
                }
                await json.FlushAsync(cancellationToken);
                if (page.Count < ExportPage)
                {
                    break;
                }
                after = page[^1].ServerSeq;
            }
            json.WriteEndArray();
        }
        json.WriteEndObject();
        json.WriteEndObject();
        await json.FlushAsync(cancellationToken);
    }

    private static void WriteArray<T>(Utf8JsonWriter json, string name, IEnumerable<T> items, Action<T> writeFields)
    {
        json.WriteStartArray(name);
        foreach (var item in items)
        {
            json.WriteStartObject();
            writeFields(item);
            json.WriteEndObject();
        }
        json.WriteEndArray();
    }

    /// <summary>
    /// Deletes the account after proving it is its owner (the password, or for an account without one a sign-in within
    /// <see cref="ReauthenticationWindow"/>): the Stripe subscription is canceled first (when Stripe cannot be reached,
    /// nothing is deleted), then one write batch removes every row of the user and queues the confirmation email, and
    /// every instance forgets the user's sessions at once.
    /// </summary>
    public async Task<Failure?> DeleteAsync(string userId, string sessionId, string? password, CancellationToken cancellationToken)
    {
        if (await accounts.FindByIdAsync(userId) is not { } user)
        {
            return new Failure(401, ErrorCodes.Unauthorized, "Sign in again.");
        }
        if (user.PasswordHash is not null)
        {
            if (string.IsNullOrEmpty(password) || !passwords.Verify(user.PasswordHash, password).Ok)
            {
                return new Failure(401, AuthErrorCodes.InvalidCredentials, "The password is not right; the account was not deleted.");
            }
        }
        else
        {
            var signedInAt = await db.ReadAsync(c => c.QuerySingleOrDefaultAsync<string?>(
                AccountDataStore.SessionCreatedAt, new { sessionId, userId }));
            if (signedInAt is null || time.GetUtcNow() - StoredTime.Parse(signedInAt) > ReauthenticationWindow)
            {
                return new Failure(401, AuthErrorCodes.ReauthenticationRequired,
                    "For your safety, sign in again (within the last 5 minutes) before deleting your account.");
            }
        }

        if (billing.Enabled)
        {
            var live = (await db.ReadAsync(c => c.QueryAsync<string>(
                AccountDataStore.LiveStripeSubscriptions, new { userId }))).ToList();
            try
            {
                foreach (var subscriptionId in live)
                {
                    await stripe.CancelSubscriptionAsync(subscriptionId, cancellationToken);
                }
            }
            catch (Exception ex) when (ex is Stripe.StripeException or HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                logger.LogWarning(ex, "Account deletion stopped: the Stripe subscription could not be canceled");
                return BillingUnavailable;
            }
        }

        var sessionIds = (await db.ReadAsync(c => c.QueryAsync<string>(
            AccountDataStore.LiveSessions, new { userId }))).ToList();
        var confirmationId = Guid.CreateVersion7().ToString();
        var writes = new SqlBatch();
        (await email.QueueAsync(user.Email, user.Name, AccountEmails.AccountDeleted(user.Name), confirmationId)).AddTo(writes);
        writes
            // Mail still waiting for this address (a reset link, a receipt) has no account to point to any more.
            .Execute(AccountDataStore.DeleteQueuedEmail, new { email = user.Email, confirmationId })
            .Execute(AccountDataStore.DeleteAudit, new { userId })
            // Everything else of the user goes with the users row (ON DELETE CASCADE: sessions and their tokens, devices,
            // every synced record, conflicts, activity, imports, subscriptions, sign-in methods, one-time codes).
            .Execute(AccountDataStore.DeleteUser, new { userId })
            .Execute(AccountDataStore.DeleteCounts, new { userId });
        await db.WriteBatchAsync(writes, cancellationToken);
        email.Sent();

        validator.Forget(sessionIds);
        validator.ForgetAccount(userId);
        await events.SessionsEndedAsync(userId, sessionIds);
        logger.LogInformation("Account {UserId} deleted at its owner's request ({Sessions} sessions ended)", userId, sessionIds.Count);
        return null;
    }
}
