ALTER TABLE users DROP COLUMN sync_purged_seq;
