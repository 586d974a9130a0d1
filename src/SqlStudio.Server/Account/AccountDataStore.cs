namespace SqlStudio.Server.Account;

/// <summary>SQL of the account page's data: what it shows (sign-in methods, the session's age) and the account's deletion.</summary>
internal static class AccountDataStore
{
    public const string ExternalLogins = "SELECT provider, email, created_at FROM external_logins WHERE user_id = @userId ORDER BY provider";

    public const string SessionCreatedAt = "SELECT created_at FROM sessions WHERE session_id = @sessionId AND user_id = @userId";

    public const string LiveStripeSubscriptions =
        """
        SELECT stripe_subscription_id FROM subscriptions
        WHERE user_id = @userId AND stripe_subscription_id IS NOT NULL AND status NOT IN ('canceled', 'incomplete_expired')
        """;

    public const string LiveSessions = "SELECT session_id FROM sessions WHERE user_id = @userId AND revoked_at IS NULL";

    public const string DeleteQueuedEmail = "DELETE FROM email_outbox WHERE to_address = @email AND message_id <> @confirmationId";

    public const string DeleteAudit = "DELETE FROM audit_log WHERE user_id = @userId";

    public const string DeleteUser = "DELETE FROM users WHERE user_id = @userId";

    public const string DeleteCounts = "DELETE FROM sync_counts WHERE user_id = @userId";
}
