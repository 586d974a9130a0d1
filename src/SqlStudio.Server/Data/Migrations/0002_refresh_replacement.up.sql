-- 0002: a rotated refresh token keeps its replacement pair sealed under a key derived from the rotated token
-- itself, so a racing second refresh from the same device (within Auth:RefreshReuseGrace) gets the same pair
-- back on any server instance, while the database alone cannot reveal a usable token.
ALTER TABLE refresh_tokens ADD COLUMN replacement_sealed TEXT;
