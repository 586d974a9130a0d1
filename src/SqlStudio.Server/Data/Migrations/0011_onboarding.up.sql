-- Onboarding (issue #15): steps a user skipped, or that have no event of their own (the trial explained). The other
-- steps are read from what happened (verification, devices, the first push, the first connection).
CREATE TABLE onboarding_steps (
    user_id TEXT NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    step    TEXT NOT NULL CHECK (step IN ('verify_email', 'first_device', 'first_sync', 'first_connection', 'trial_explained')),
    done_at TEXT NOT NULL,
    skipped INTEGER NOT NULL DEFAULT 0 CHECK (skipped IN (0, 1)),
    PRIMARY KEY (user_id, step)
);
