DROP INDEX IF EXISTS ix_stripe_events_processed;
DROP INDEX IF EXISTS ix_audit_log_created;
DROP INDEX IF EXISTS ix_sync_activity_created;
