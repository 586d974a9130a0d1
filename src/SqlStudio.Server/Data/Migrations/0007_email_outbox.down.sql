DROP TABLE IF EXISTS job_leases;
DROP INDEX IF EXISTS email_outbox_due;
DROP TABLE IF EXISTS email_outbox;
