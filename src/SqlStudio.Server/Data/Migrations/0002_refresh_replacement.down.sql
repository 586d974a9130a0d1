ALTER TABLE refresh_tokens DROP COLUMN replacement_sealed;
