ALTER TABLE sync_activity DROP COLUMN refused;
ALTER TABLE sync_activity DROP COLUMN run_id;
