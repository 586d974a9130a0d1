ALTER TABLE users DROP COLUMN whats_new_seen;
DROP TABLE IF EXISTS onboarding_steps;
