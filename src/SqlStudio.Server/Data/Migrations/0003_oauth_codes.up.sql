-- 0003: one-time codes of the desktop sign-in flow (RFC 8252 loopback redirect + PKCE). The desktop app gets
-- the code on its loopback redirect and exchanges it, with the PKCE verifier, for a session's tokens.
CREATE TABLE oauth_codes (
    code_hash      TEXT NOT NULL PRIMARY KEY,
    user_id        TEXT NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    provider       TEXT NOT NULL CHECK (provider IN ('github', 'google')),
    code_challenge TEXT NOT NULL,
    redirect_uri   TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    expires_at     TEXT NOT NULL,
    used_at        TEXT
);
CREATE INDEX ix_oauth_codes_expires ON oauth_codes (expires_at);
