namespace SqlStudio.Server.Beta;

/// <summary>SQL of the beta's features: the waitlist, invites, onboarding, feedback, roles and the support tools.</summary>
internal static class BetaStore
{
    public const string WaitlistConfirmedAt = "SELECT coalesce(confirmed_at, '') FROM waitlist WHERE email = @address";

    public const string WaitlistJoin =
        """
        INSERT INTO waitlist (email, token_hash, created_at) VALUES (@address, @hash, @now)
        ON CONFLICT (email) DO UPDATE SET token_hash = excluded.token_hash WHERE confirmed_at IS NULL
        """;

    public const string WaitlistConfirm = "UPDATE waitlist SET confirmed_at = @now, token_hash = NULL WHERE token_hash = @hash AND confirmed_at IS NULL RETURNING 1";

    public const string FeedbackInsert =
        """
        INSERT INTO feedback (feedback_id, user_id, kind, message, rating, context, created_at)
        VALUES (@id, @userId, @kind, @message, @rating, @context, @now)
        """;

    public const string FeedbackLatest =
        """
        SELECT f.feedback_id, u.email, f.kind, f.message, f.rating, f.context, f.created_at
        FROM feedback f JOIN users u ON u.user_id = f.user_id ORDER BY f.created_at DESC LIMIT @limit
        """;

    public const string SetDisabled = "UPDATE users SET disabled_at = CASE WHEN @disabled THEN coalesce(disabled_at, @now) ELSE NULL END, updated_at = @now WHERE user_id = @userId";

    public const string ActivitySince =
        """
        SELECT created_at, device_id, duration_ms, error IS NOT NULL AS failed, conflicts FROM sync_activity
        WHERE created_at >= @since ORDER BY created_at DESC LIMIT 200000
        """;

    public const string SignupsSince = "SELECT created_at FROM users WHERE created_at >= @since";

    public const string SetRole = "UPDATE users SET role = @role, updated_at = @now WHERE email = @address RETURNING user_id";

    public const string AuditRoleChange =
        """
        INSERT INTO audit_log (audit_id, user_id, event, detail, created_at)
        SELECT @id, user_id, @event, 'operator command', @now FROM users WHERE email = @address
        """;

    public const string OnboardingSignals =
        """
        SELECT email_verified_at AS verified_at,
               (SELECT min(created_at) FROM devices WHERE user_id = @userId) AS first_device,
               CASE WHEN sync_seq > 0 THEN coalesce(
                   (SELECT min(created_at) FROM sync_activity WHERE user_id = @userId AND kind = 'push'),
                   (SELECT min(applied_at) FROM sync_mutations WHERE user_id = @userId), updated_at) END AS first_sync,
               (SELECT min(created_at) FROM connections WHERE user_id = @userId) AS first_connection,
               (SELECT min(created_at) FROM subscriptions WHERE user_id = @userId) AS subscribed
        FROM users WHERE user_id = @userId
        """;

    public const string OnboardingSteps = "SELECT step, done_at, skipped FROM onboarding_steps WHERE user_id = @userId";

    public const string OnboardingStepDone =
        """
        INSERT INTO onboarding_steps (user_id, step, done_at, skipped) VALUES (@userId, @step, @now, @skipped)
        ON CONFLICT (user_id, step) DO NOTHING
        """;

    public const string InviteByCode = "SELECT invite_id, email, max_uses, uses, expires_at FROM invites WHERE code_hash = @hash";

    public const string InviteHasUses = "SELECT uses < max_uses FROM invites WHERE invite_id = @inviteId";

    public const string InviteUse = "UPDATE invites SET uses = uses + 1 WHERE invite_id = @inviteId";

    public const string UserInvitedBy = "UPDATE users SET invite_id = @inviteId WHERE user_id = @userId";

    public const string InviteInsert =
        """
        INSERT INTO invites (invite_id, code_hash, email, max_uses, expires_at, source, created_at)
        VALUES (@id, @hash, @email, @uses, @expires, @source, @now)
        """;

    public const string UsersWithEmail = "SELECT count(*) FROM users WHERE email = @address";

    public const string WaitlistInvited = "UPDATE waitlist SET invited_at = @now WHERE email = @address";

    public const string WaitlistToInvite = "SELECT email FROM waitlist WHERE confirmed_at IS NOT NULL AND invited_at IS NULL ORDER BY confirmed_at, created_at LIMIT @count";

    /// <summary>The launch figures (`beta report`): signups through conversion, at @now.</summary>
    public const string LaunchCounts =
        $"""
        WITH latest AS (
            SELECT user_id, status, trial_end FROM ({Billing.BillingStore.CurrentPerUserSql})
        ),
        onboarded AS (
            SELECT u.user_id FROM users u
            WHERE u.email_verified_at IS NOT NULL
              AND EXISTS (SELECT 1 FROM devices d WHERE d.user_id = u.user_id)
              AND u.sync_seq > 0
              AND EXISTS (SELECT 1 FROM connections k WHERE k.user_id = u.user_id)
        )
        SELECT
            (SELECT count(*) FROM users) AS signups,
            (SELECT count(*) FROM users WHERE email_verified_at IS NOT NULL) AS verified,
            (SELECT count(*) FROM onboarded) AS onboarded,
            (SELECT count(*) FROM users WHERE email_verified_at IS NOT NULL AND sync_seq > 0) AS syncing,
            (SELECT count(*) FROM latest WHERE status = 'trialing') AS trialing,
            (SELECT count(*) FROM latest WHERE status = 'active') AS paying,
            (SELECT count(*) FROM latest WHERE trial_end IS NOT NULL AND trial_end <= @now) AS trials_ended,
            (SELECT count(*) FROM latest WHERE trial_end IS NOT NULL AND trial_end <= @now AND status = 'active') AS converted,
            (SELECT avg(rating) FROM feedback WHERE rating IS NOT NULL) AS satisfaction
        """;
}
