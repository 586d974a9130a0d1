-- 0004: the cursor below which a user's tombstones have been purged. A device whose cursor is older than this
-- missed deletions it can no longer learn about, so its pull answers 410 and it re-bootstraps.
ALTER TABLE users ADD COLUMN sync_purged_seq INTEGER NOT NULL DEFAULT 0;
