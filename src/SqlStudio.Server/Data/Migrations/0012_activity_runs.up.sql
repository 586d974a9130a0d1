-- The activity log folds the batches of one import into one line and shows an undo as an undo (issue #22 §12):
-- each line may name the run it belongs to (the import's id), and an import's line counts the records it refused
-- (a record refused is not a failed import).
ALTER TABLE sync_activity ADD COLUMN run_id TEXT;
ALTER TABLE sync_activity ADD COLUMN refused INTEGER NOT NULL DEFAULT 0;
