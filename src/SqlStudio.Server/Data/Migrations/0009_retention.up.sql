-- Retention (issue #14): old sync activity, audit lines and processed Stripe event ids are purged by age; these
-- indexes keep each purge a range delete instead of a scan.
CREATE INDEX ix_sync_activity_created ON sync_activity (created_at);
CREATE INDEX ix_audit_log_created ON audit_log (created_at);
CREATE INDEX ix_stripe_events_processed ON stripe_events (processed_at);
