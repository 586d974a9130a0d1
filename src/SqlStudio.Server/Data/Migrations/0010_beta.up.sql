-- Beta launch (issue #15): invite codes, the waitlist with its double opt-in, feedback, and which version of the
-- terms and privacy notice a user accepted at registration.

-- An invite code is a bearer secret: only its hash is stored (the code itself is shown once, or emailed).
CREATE TABLE invites (
    invite_id  TEXT    NOT NULL PRIMARY KEY,
    code_hash  TEXT    NOT NULL UNIQUE,
    email      TEXT    COLLATE NOCASE CHECK (email IS NULL OR length(email) BETWEEN 3 AND 254),
    max_uses   INTEGER NOT NULL DEFAULT 1 CHECK (max_uses BETWEEN 1 AND 100000),
    uses       INTEGER NOT NULL DEFAULT 0 CHECK (uses >= 0 AND uses <= max_uses),
    expires_at TEXT,
    source     TEXT    NOT NULL CHECK (source IN ('operator', 'email', 'waitlist')),
    created_at TEXT    NOT NULL
);

CREATE TABLE waitlist (
    email        TEXT NOT NULL PRIMARY KEY COLLATE NOCASE CHECK (length(email) BETWEEN 3 AND 254),
    token_hash   TEXT UNIQUE,
    created_at   TEXT NOT NULL,
    confirmed_at TEXT,
    invited_at   TEXT
);
CREATE INDEX ix_waitlist_queue ON waitlist (invited_at, confirmed_at, created_at);

-- Goes with the account (ON DELETE CASCADE): the privacy notice promises deletion removes everything.
CREATE TABLE feedback (
    feedback_id TEXT    NOT NULL PRIMARY KEY,
    user_id     TEXT    NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    kind        TEXT    NOT NULL CHECK (kind IN ('bug', 'idea', 'praise')),
    message     TEXT    NOT NULL CHECK (length(message) BETWEEN 1 AND 5000),
    rating      INTEGER CHECK (rating IS NULL OR rating BETWEEN 1 AND 5),
    context     TEXT    CHECK (context IS NULL OR length(context) <= 2000),
    created_at  TEXT    NOT NULL
);
CREATE INDEX ix_feedback_created ON feedback (created_at);
CREATE INDEX ix_feedback_user ON feedback (user_id);

ALTER TABLE users ADD COLUMN terms_version TEXT;
ALTER TABLE users ADD COLUMN invite_id TEXT;
