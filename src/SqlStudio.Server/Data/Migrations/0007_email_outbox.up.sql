-- Email that survives a crash, a deploy or an SMTP outage (issue #13): each message is a row, written in the same
-- transaction as the change that causes it, claimed by one instance at a time with a lease, retried with backoff
-- for Email:Outbox:RetryFor, then marked failed for an operator (`email failed`, `email retry`).
CREATE TABLE email_outbox (
    message_id      TEXT PRIMARY KEY,
    to_address      TEXT NOT NULL CHECK (length(to_address) BETWEEN 3 AND 254),
    to_name         TEXT NOT NULL,
    subject         TEXT NOT NULL,
    -- The bodies hold the links (verification, reset): kept only until the message is sent.
    html            TEXT,
    text_body       TEXT,
    state           TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'sent', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    created_at      TEXT NOT NULL,
    next_attempt_at TEXT NOT NULL,
    lease_owner     TEXT,
    lease_until     TEXT,
    last_error      TEXT,
    sent_at         TEXT
);
CREATE INDEX email_outbox_due ON email_outbox (state, next_attempt_at);

-- Background jobs that must run on one instance at a time (tombstone purge, retention): whoever holds the lease.
CREATE TABLE job_leases (
    job         TEXT PRIMARY KEY,
    owner       TEXT NOT NULL,
    lease_until TEXT NOT NULL,
    last_run_at TEXT
);
