-- Reverts 0001: children before parents, so foreign keys stay satisfied while tables go.
DROP TABLE IF EXISTS stripe_events;
DROP TABLE IF EXISTS subscriptions;
DROP TABLE IF EXISTS stripe_customers;

DROP TRIGGER IF EXISTS query_history_fts_update;
DROP TRIGGER IF EXISTS query_history_fts_delete;
DROP TRIGGER IF EXISTS query_history_fts_insert;
DROP TABLE IF EXISTS query_history_fts;
DROP TRIGGER IF EXISTS saved_queries_fts_update;
DROP TRIGGER IF EXISTS saved_queries_fts_delete;
DROP TRIGGER IF EXISTS saved_queries_fts_insert;
DROP TABLE IF EXISTS saved_queries_fts;

DROP TABLE IF EXISTS ui_preferences;
DROP TABLE IF EXISTS ai_messages;
DROP TABLE IF EXISTS ai_sessions;
DROP TABLE IF EXISTS saved_queries;
DROP TABLE IF EXISTS query_history;
DROP TABLE IF EXISTS query_tabs;
DROP TABLE IF EXISTS connections;

DROP TABLE IF EXISTS import_journal;
DROP TABLE IF EXISTS imports;
DROP TABLE IF EXISTS sync_activity;
DROP TABLE IF EXISTS sync_conflicts;
DROP TABLE IF EXISTS sync_mutations;
DROP TABLE IF EXISTS devices;

DROP TABLE IF EXISTS audit_log;
DROP TABLE IF EXISTS email_tokens;
DROP TABLE IF EXISTS refresh_tokens;
DROP TABLE IF EXISTS sessions;
DROP TABLE IF EXISTS external_logins;
DROP TABLE IF EXISTS users;
