namespace SqlStudio.Server.Email;

/// <summary>SQL for the email outbox (docs/operations.md): queue, lease, send, retry, forget.</summary>
internal static class EmailStore
{
    /// <summary>A message queued (written in the caller's transaction).</summary>
    public const string Insert =
        """
        INSERT INTO email_outbox (message_id, to_address, to_name, subject, html, text_body, created_at, next_attempt_at)
        VALUES (@id, @to, @name, @subject, @html, @text, @now, @now)
        """;

    /// <summary>Leases up to @limit due messages to this instance (@owner until @until), counting the attempt.</summary>
    public const string Claim =
        """
        UPDATE email_outbox SET lease_owner = @owner, lease_until = @until, attempts = attempts + 1
        WHERE message_id IN (
            SELECT message_id FROM email_outbox
            WHERE state = 'queued' AND next_attempt_at <= @now AND (lease_until IS NULL OR lease_until < @now)
            ORDER BY next_attempt_at LIMIT @limit)
        RETURNING message_id, to_address, to_name, subject, html, text_body, attempts, created_at
        """;

    /// <summary>Gives a leased message back at once (stopping mid-send), not counting the attempt.</summary>
    public const string Release = "UPDATE email_outbox SET lease_owner = NULL, lease_until = NULL, attempts = attempts - 1 WHERE message_id = @id AND lease_owner = @owner";

    /// <summary>Sent: the bodies (which carry the links) go; the row stays a while as a record.</summary>
    public const string MarkSent =
        """
        UPDATE email_outbox SET state = 'sent', sent_at = @now, html = NULL, text_body = NULL, lease_owner = NULL, lease_until = NULL,
               last_error = NULL
        WHERE message_id = @id
        """;

    /// <summary>A failed attempt: queued again for @next, or failed for good.</summary>
    public const string MarkAttemptFailed =
        """
        UPDATE email_outbox SET state = @state, next_attempt_at = @next, last_error = @error, lease_owner = NULL, lease_until = NULL
        WHERE message_id = @id
        """;

    /// <summary>How many messages in each state (the outbox gauges).</summary>
    public const string CountsByState = "SELECT state, count(*) FROM email_outbox GROUP BY state";

    /// <summary>When the oldest message still queued was queued.</summary>
    public const string OldestQueued = "SELECT min(created_at) FROM email_outbox WHERE state = 'queued'";

    /// <summary>Forgets sent messages older than @before.</summary>
    public const string DeleteSentBefore = "DELETE FROM email_outbox WHERE state = 'sent' AND sent_at < @before";

    /// <summary>The messages given up on (`email failed`).</summary>
    public const string Failed =
        """
        SELECT message_id, to_address, subject, state, attempts, created_at, next_attempt_at, last_error, sent_at
        FROM email_outbox WHERE state = 'failed' ORDER BY created_at
        """;

    /// <summary>Queues failed messages again (one by @id, or all), with a fresh retry window.</summary>
    public const string Retry =
        """
        UPDATE email_outbox SET state = 'queued', next_attempt_at = @now, created_at = @now, attempts = 0, lease_owner = NULL, lease_until = NULL
        WHERE state = 'failed' AND (@id IS NULL OR message_id = @id)
        RETURNING 1
        """;

    /// <summary>A queued message removed again in the same transaction (a request that must not send it).</summary>
    public const string Delete = "DELETE FROM email_outbox WHERE message_id = @messageId";
}
