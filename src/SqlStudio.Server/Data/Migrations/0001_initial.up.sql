-- 0001: the whole data model of DESIGN.md ("Data model").
-- Ids are UUIDv7 strings, times ISO-8601 UTC strings with milliseconds ("2026-11-26T03:44:33.123Z").
-- schema_migrations(version, name, checksum, applied_at) is created by the migration runner itself, before
-- any migration runs, so that it can record this one.

-- Accounts -----------------------------------------------------------------------------------------------

CREATE TABLE users (
    user_id           TEXT    NOT NULL PRIMARY KEY,
    email             TEXT    NOT NULL COLLATE NOCASE UNIQUE CHECK (length(email) BETWEEN 3 AND 320),
    email_verified_at TEXT,
    name              TEXT    NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    password_hash     TEXT,
    security_stamp    TEXT    NOT NULL,
    role              TEXT    NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'admin')),
    created_at        TEXT    NOT NULL,
    updated_at        TEXT    NOT NULL,
    disabled_at       TEXT,
    locked_until      TEXT,
    sync_seq          INTEGER NOT NULL DEFAULT 0 CHECK (sync_seq >= 0),
    onboarding_step   TEXT    NOT NULL DEFAULT 'registered',
    trial_started_at  TEXT
);

CREATE TABLE external_logins (
    provider         TEXT NOT NULL CHECK (provider IN ('github', 'google')),
    provider_user_id TEXT NOT NULL,
    user_id          TEXT NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    email            TEXT,
    created_at       TEXT NOT NULL,
    PRIMARY KEY (provider, provider_user_id),
    UNIQUE (user_id, provider)
);

CREATE TABLE sessions (
    session_id    TEXT    NOT NULL PRIMARY KEY,
    user_id       TEXT    NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    kind          TEXT    NOT NULL DEFAULT 'api' CHECK (kind IN ('api', 'web')),
    device_id     TEXT,
    device_name   TEXT,
    platform      TEXT,
    user_agent    TEXT,
    ip            TEXT,
    remember_me   INTEGER NOT NULL DEFAULT 0 CHECK (remember_me IN (0, 1)),
    created_at    TEXT    NOT NULL,
    last_seen_at  TEXT    NOT NULL,
    expires_at    TEXT    NOT NULL,
    revoked_at    TEXT,
    revoke_reason TEXT
);
CREATE INDEX ix_sessions_user ON sessions (user_id, revoked_at);

CREATE TABLE refresh_tokens (
    token_hash  TEXT NOT NULL PRIMARY KEY,
    session_id  TEXT NOT NULL REFERENCES sessions (session_id) ON DELETE CASCADE,
    issued_at   TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    used_at     TEXT,
    replaced_by TEXT
);
CREATE INDEX ix_refresh_tokens_session ON refresh_tokens (session_id);

CREATE TABLE email_tokens (
    token_hash TEXT NOT NULL PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    purpose    TEXT NOT NULL CHECK (purpose IN ('verify_email', 'reset_password')),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at    TEXT
);
CREATE INDEX ix_email_tokens_user ON email_tokens (user_id, purpose);

CREATE TABLE audit_log (
    audit_id   TEXT NOT NULL PRIMARY KEY,
    user_id    TEXT REFERENCES users (user_id) ON DELETE SET NULL,
    event      TEXT NOT NULL,
    session_id TEXT,
    ip         TEXT,
    user_agent TEXT,
    detail     TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX ix_audit_log_user ON audit_log (user_id, created_at);
CREATE INDEX ix_audit_log_event ON audit_log (event, created_at);

-- Devices and sync bookkeeping ----------------------------------------------------------------------------

CREATE TABLE devices (
    device_id    TEXT NOT NULL,
    user_id      TEXT NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    name         TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    platform     TEXT,
    app_version  TEXT,
    last_sync_at TEXT,
    last_cursor  INTEGER NOT NULL DEFAULT 0,
    created_at   TEXT NOT NULL,
    revoked_at   TEXT,
    PRIMARY KEY (user_id, device_id)
);

CREATE TABLE sync_mutations (
    user_id     TEXT NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    device_id   TEXT NOT NULL,
    mutation_id TEXT NOT NULL,
    result      TEXT NOT NULL,
    applied_at  TEXT NOT NULL,
    PRIMARY KEY (user_id, device_id, mutation_id)
);
CREATE INDEX ix_sync_mutations_applied ON sync_mutations (applied_at);

CREATE TABLE sync_conflicts (
    conflict_id       TEXT NOT NULL PRIMARY KEY,
    user_id           TEXT NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    entity_type       TEXT NOT NULL,
    entity_id         TEXT NOT NULL,
    fields            TEXT NOT NULL,
    local_data        TEXT NOT NULL,
    remote_data       TEXT NOT NULL,
    local_device_id   TEXT,
    remote_device_id  TEXT,
    local_updated_at  TEXT,
    remote_updated_at TEXT,
    winner            TEXT NOT NULL CHECK (winner IN ('local', 'remote')),
    status            TEXT NOT NULL DEFAULT 'unresolved' CHECK (status IN ('unresolved', 'resolved')),
    resolution        TEXT CHECK (resolution IN ('local', 'remote', 'custom')),
    created_at        TEXT NOT NULL,
    resolved_at       TEXT
);
CREATE INDEX ix_sync_conflicts_user ON sync_conflicts (user_id, status, created_at);

CREATE TABLE sync_activity (
    activity_id  TEXT    NOT NULL PRIMARY KEY,
    user_id      TEXT    NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    device_id    TEXT,
    kind         TEXT    NOT NULL CHECK (kind IN ('push', 'pull', 'import', 'undo_import', 'resolve')),
    records      INTEGER NOT NULL DEFAULT 0,
    conflicts    INTEGER NOT NULL DEFAULT 0,
    bytes        INTEGER NOT NULL DEFAULT 0,
    duration_ms  INTEGER NOT NULL DEFAULT 0,
    error        TEXT,
    created_at   TEXT    NOT NULL
);
CREATE INDEX ix_sync_activity_user ON sync_activity (user_id, created_at);

CREATE TABLE imports (
    import_id    TEXT    NOT NULL,
    user_id      TEXT    NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    on_duplicate TEXT    NOT NULL CHECK (on_duplicate IN ('skip', 'update')),
    status       TEXT    NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'undone')),
    inserted     INTEGER NOT NULL DEFAULT 0,
    updated      INTEGER NOT NULL DEFAULT 0,
    skipped      INTEGER NOT NULL DEFAULT 0,
    failed       INTEGER NOT NULL DEFAULT 0,
    created_at   TEXT    NOT NULL,
    undone_at    TEXT,
    PRIMARY KEY (user_id, import_id)
);

-- One row per record an import touched: what was there before (NULL when the import created it).
CREATE TABLE import_journal (
    user_id     TEXT    NOT NULL,
    import_id   TEXT    NOT NULL,
    seq         INTEGER NOT NULL,
    entity_type TEXT    NOT NULL,
    entity_id   TEXT    NOT NULL,
    action      TEXT    NOT NULL CHECK (action IN ('inserted', 'updated')),
    before_data TEXT,
    PRIMARY KEY (user_id, import_id, seq),
    FOREIGN KEY (user_id, import_id) REFERENCES imports (user_id, import_id) ON DELETE CASCADE
);

-- Synced entities -----------------------------------------------------------------------------------------
-- Each row is keyed by (user_id, id): ids come from devices, so one user's id can never touch another's row.
-- Sync columns: version (row version), server_seq (the user's sync_seq when the row last changed),
-- field_versions (JSON: field -> version at which it last changed), updated_at and updated_by_device (the
-- device's clock and id, for last-write-wins), deleted_at (tombstone), created_at.

CREATE TABLE connections (
    user_id           TEXT    NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    id                TEXT    NOT NULL,
    name              TEXT    NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    driver            TEXT    NOT NULL,
    host              TEXT,
    port              INTEGER CHECK (port IS NULL OR port BETWEEN 0 AND 65535),
    database_name     TEXT,
    username          TEXT,
    ssl_mode          TEXT,
    ssh_enabled       INTEGER NOT NULL DEFAULT 0 CHECK (ssh_enabled IN (0, 1)),
    ssh_host          TEXT,
    ssh_port          INTEGER CHECK (ssh_port IS NULL OR ssh_port BETWEEN 0 AND 65535),
    ssh_username      TEXT,
    color             TEXT,
    folder            TEXT,
    options           TEXT    NOT NULL DEFAULT '{}',
    version           INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
    server_seq        INTEGER NOT NULL,
    field_versions    TEXT    NOT NULL DEFAULT '{}',
    updated_at        TEXT    NOT NULL,
    updated_by_device TEXT,
    deleted_at        TEXT,
    created_at        TEXT    NOT NULL,
    PRIMARY KEY (user_id, id)
);
CREATE UNIQUE INDEX ix_connections_seq ON connections (user_id, server_seq);

CREATE TABLE query_tabs (
    user_id           TEXT    NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    id                TEXT    NOT NULL,
    title             TEXT    NOT NULL CHECK (length(title) <= 200),
    content           TEXT    NOT NULL DEFAULT '',
    connection_id     TEXT,
    position          INTEGER NOT NULL DEFAULT 0,
    is_pinned         INTEGER NOT NULL DEFAULT 0 CHECK (is_pinned IN (0, 1)),
    cursor_position   INTEGER,
    version           INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
    server_seq        INTEGER NOT NULL,
    field_versions    TEXT    NOT NULL DEFAULT '{}',
    updated_at        TEXT    NOT NULL,
    updated_by_device TEXT,
    deleted_at        TEXT,
    created_at        TEXT    NOT NULL,
    PRIMARY KEY (user_id, id)
);
CREATE UNIQUE INDEX ix_query_tabs_seq ON query_tabs (user_id, server_seq);

-- row_id gives the full-text index a rowid that VACUUM cannot renumber.
CREATE TABLE query_history (
    row_id            INTEGER PRIMARY KEY,
    user_id           TEXT    NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    id                TEXT    NOT NULL,
    connection_id     TEXT,
    query_text        TEXT    NOT NULL,
    executed_at       TEXT    NOT NULL,
    duration_ms       INTEGER CHECK (duration_ms IS NULL OR duration_ms >= 0),
    row_count         INTEGER,
    status            TEXT    NOT NULL DEFAULT 'success' CHECK (status IN ('success', 'error', 'cancelled')),
    error_message     TEXT,
    version           INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
    server_seq        INTEGER NOT NULL,
    field_versions    TEXT    NOT NULL DEFAULT '{}',
    updated_at        TEXT    NOT NULL,
    updated_by_device TEXT,
    deleted_at        TEXT,
    created_at        TEXT    NOT NULL,
    UNIQUE (user_id, id)
);
CREATE UNIQUE INDEX ix_query_history_seq ON query_history (user_id, server_seq);
CREATE INDEX ix_query_history_executed ON query_history (user_id, executed_at);

CREATE TABLE saved_queries (
    row_id            INTEGER PRIMARY KEY,
    user_id           TEXT    NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    id                TEXT    NOT NULL,
    title             TEXT    NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    description       TEXT    NOT NULL DEFAULT '',
    sql               TEXT    NOT NULL,
    tags              TEXT    NOT NULL DEFAULT '',
    connection_id     TEXT,
    folder            TEXT,
    is_favorite       INTEGER NOT NULL DEFAULT 0 CHECK (is_favorite IN (0, 1)),
    version           INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
    server_seq        INTEGER NOT NULL,
    field_versions    TEXT    NOT NULL DEFAULT '{}',
    updated_at        TEXT    NOT NULL,
    updated_by_device TEXT,
    deleted_at        TEXT,
    created_at        TEXT    NOT NULL,
    UNIQUE (user_id, id)
);
CREATE UNIQUE INDEX ix_saved_queries_seq ON saved_queries (user_id, server_seq);

CREATE TABLE ai_sessions (
    user_id           TEXT    NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    id                TEXT    NOT NULL,
    title             TEXT    NOT NULL CHECK (length(title) <= 200),
    connection_id     TEXT,
    model             TEXT,
    version           INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
    server_seq        INTEGER NOT NULL,
    field_versions    TEXT    NOT NULL DEFAULT '{}',
    updated_at        TEXT    NOT NULL,
    updated_by_device TEXT,
    deleted_at        TEXT,
    created_at        TEXT    NOT NULL,
    PRIMARY KEY (user_id, id)
);
CREATE UNIQUE INDEX ix_ai_sessions_seq ON ai_sessions (user_id, server_seq);

CREATE TABLE ai_messages (
    user_id           TEXT    NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    id                TEXT    NOT NULL,
    session_id        TEXT    NOT NULL,
    role              TEXT    NOT NULL CHECK (role IN ('user', 'assistant', 'system', 'tool')),
    content           TEXT    NOT NULL,
    version           INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
    server_seq        INTEGER NOT NULL,
    field_versions    TEXT    NOT NULL DEFAULT '{}',
    updated_at        TEXT    NOT NULL,
    updated_by_device TEXT,
    deleted_at        TEXT,
    created_at        TEXT    NOT NULL,
    PRIMARY KEY (user_id, id),
    FOREIGN KEY (user_id, session_id) REFERENCES ai_sessions (user_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX ix_ai_messages_seq ON ai_messages (user_id, server_seq);
CREATE INDEX ix_ai_messages_session ON ai_messages (user_id, session_id, created_at);

CREATE TABLE ui_preferences (
    user_id           TEXT    NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    id                TEXT    NOT NULL,
    key               TEXT    NOT NULL CHECK (length(key) BETWEEN 1 AND 200),
    value             TEXT    NOT NULL,
    version           INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
    server_seq        INTEGER NOT NULL,
    field_versions    TEXT    NOT NULL DEFAULT '{}',
    updated_at        TEXT    NOT NULL,
    updated_by_device TEXT,
    deleted_at        TEXT,
    created_at        TEXT    NOT NULL,
    PRIMARY KEY (user_id, id),
    UNIQUE (user_id, key)
);
CREATE UNIQUE INDEX ix_ui_preferences_seq ON ui_preferences (user_id, server_seq);

-- Full-text search, kept in step by triggers --------------------------------------------------------------

CREATE VIRTUAL TABLE saved_queries_fts USING fts5 (
    title, description, sql, tags,
    content = 'saved_queries', content_rowid = 'row_id', tokenize = 'unicode61'
);
CREATE TRIGGER saved_queries_fts_insert AFTER INSERT ON saved_queries BEGIN
    INSERT INTO saved_queries_fts (rowid, title, description, sql, tags)
    VALUES (new.row_id, new.title, new.description, new.sql, new.tags);
END;
CREATE TRIGGER saved_queries_fts_delete AFTER DELETE ON saved_queries BEGIN
    INSERT INTO saved_queries_fts (saved_queries_fts, rowid, title, description, sql, tags)
    VALUES ('delete', old.row_id, old.title, old.description, old.sql, old.tags);
END;
CREATE TRIGGER saved_queries_fts_update AFTER UPDATE OF title, description, sql, tags ON saved_queries BEGIN
    INSERT INTO saved_queries_fts (saved_queries_fts, rowid, title, description, sql, tags)
    VALUES ('delete', old.row_id, old.title, old.description, old.sql, old.tags);
    INSERT INTO saved_queries_fts (rowid, title, description, sql, tags)
    VALUES (new.row_id, new.title, new.description, new.sql, new.tags);
END;

CREATE VIRTUAL TABLE query_history_fts USING fts5 (
    query_text,
    content = 'query_history', content_rowid = 'row_id', tokenize = 'unicode61'
);
CREATE TRIGGER query_history_fts_insert AFTER INSERT ON query_history BEGIN
    INSERT INTO query_history_fts (rowid, query_text) VALUES (new.row_id, new.query_text);
END;
CREATE TRIGGER query_history_fts_delete AFTER DELETE ON query_history BEGIN
    INSERT INTO query_history_fts (query_history_fts, rowid, query_text) VALUES ('delete', old.row_id, old.query_text);
END;
CREATE TRIGGER query_history_fts_update AFTER UPDATE OF query_text ON query_history BEGIN
    INSERT INTO query_history_fts (query_history_fts, rowid, query_text) VALUES ('delete', old.row_id, old.query_text);
    INSERT INTO query_history_fts (rowid, query_text) VALUES (new.row_id, new.query_text);
END;

-- Billing -------------------------------------------------------------------------------------------------

CREATE TABLE stripe_customers (
    user_id            TEXT NOT NULL PRIMARY KEY REFERENCES users (user_id) ON DELETE CASCADE,
    stripe_customer_id TEXT NOT NULL UNIQUE,
    created_at         TEXT NOT NULL
);

-- The plan's table (P2-T36), with the fields the billing API reports.
CREATE TABLE subscriptions (
    subscription_id        TEXT    NOT NULL PRIMARY KEY,
    user_id                TEXT    NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    stripe_subscription_id TEXT    UNIQUE,
    stripe_customer_id     TEXT,
    status                 TEXT    NOT NULL CHECK (status IN ('incomplete', 'incomplete_expired', 'trialing', 'active',
                                                              'past_due', 'canceled', 'unpaid', 'paused')),
    price_id               TEXT,
    plan_id                TEXT,
    trial_end              TEXT,
    current_period_start   TEXT,
    current_period_end     TEXT,
    cancel_at_period_end   INTEGER NOT NULL DEFAULT 0 CHECK (cancel_at_period_end IN (0, 1)),
    canceled_at            TEXT,
    ended_at               TEXT,
    past_due_since         TEXT,
    stripe_updated         INTEGER NOT NULL DEFAULT 0,
    created_at             TEXT    NOT NULL,
    updated_at             TEXT    NOT NULL
);
CREATE INDEX ix_subscriptions_user ON subscriptions (user_id, updated_at);

CREATE TABLE stripe_events (
    event_id     TEXT    NOT NULL PRIMARY KEY,
    type         TEXT    NOT NULL,
    api_version  TEXT,
    created      INTEGER NOT NULL,
    processed_at TEXT    NOT NULL
);
