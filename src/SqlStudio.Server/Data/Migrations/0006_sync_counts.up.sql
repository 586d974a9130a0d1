-- 0006: live record counts per user and type, kept by the database as rows change, so `GET /api/sync/head` reads
-- seven numbers instead of counting every record (its cost no longer grows with the user's data). Every write path
-- (push, import, undo, conflict resolution, purge, account deletion) keeps them right because the triggers do.
CREATE TABLE sync_counts (
    user_id TEXT NOT NULL,
    entity_type TEXT NOT NULL,
    live INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, entity_type)
) WITHOUT ROWID;

INSERT INTO sync_counts (user_id, entity_type, live)
SELECT user_id, 'connections', count(*) FROM connections WHERE deleted_at IS NULL GROUP BY user_id;

CREATE TRIGGER sync_counts_connections_insert AFTER INSERT ON connections WHEN NEW.deleted_at IS NULL
BEGIN
    INSERT INTO sync_counts (user_id, entity_type, live) VALUES (NEW.user_id, 'connections', 1)
    ON CONFLICT (user_id, entity_type) DO UPDATE SET live = live + 1;
END;

CREATE TRIGGER sync_counts_connections_update AFTER UPDATE OF deleted_at ON connections
WHEN (OLD.deleted_at IS NULL) <> (NEW.deleted_at IS NULL)
BEGIN
    INSERT INTO sync_counts (user_id, entity_type, live) VALUES (NEW.user_id, 'connections', CASE WHEN NEW.deleted_at IS NULL THEN 1 ELSE -1 END)
    ON CONFLICT (user_id, entity_type) DO UPDATE SET live = live + excluded.live;
END;

CREATE TRIGGER sync_counts_connections_delete AFTER DELETE ON connections WHEN OLD.deleted_at IS NULL
BEGIN
    UPDATE sync_counts SET live = live - 1 WHERE user_id = OLD.user_id AND entity_type = 'connections';
END;

INSERT INTO sync_counts (user_id, entity_type, live)
SELECT user_id, 'query_tabs', count(*) FROM query_tabs WHERE deleted_at IS NULL GROUP BY user_id;

CREATE TRIGGER sync_counts_query_tabs_insert AFTER INSERT ON query_tabs WHEN NEW.deleted_at IS NULL
BEGIN
    INSERT INTO sync_counts (user_id, entity_type, live) VALUES (NEW.user_id, 'query_tabs', 1)
    ON CONFLICT (user_id, entity_type) DO UPDATE SET live = live + 1;
END;

CREATE TRIGGER sync_counts_query_tabs_update AFTER UPDATE OF deleted_at ON query_tabs
WHEN (OLD.deleted_at IS NULL) <> (NEW.deleted_at IS NULL)
BEGIN
    INSERT INTO sync_counts (user_id, entity_type, live) VALUES (NEW.user_id, 'query_tabs', CASE WHEN NEW.deleted_at IS NULL THEN 1 ELSE -1 END)
    ON CONFLICT (user_id, entity_type) DO UPDATE SET live = live + excluded.live;
END;

CREATE TRIGGER sync_counts_query_tabs_delete AFTER DELETE ON query_tabs WHEN OLD.deleted_at IS NULL
BEGIN
    UPDATE sync_counts SET live = live - 1 WHERE user_id = OLD.user_id AND entity_type = 'query_tabs';
END;

INSERT INTO sync_counts (user_id, entity_type, live)
SELECT user_id, 'query_history', count(*) FROM query_history WHERE deleted_at IS NULL GROUP BY user_id;

CREATE TRIGGER sync_counts_query_history_insert AFTER INSERT ON query_history WHEN NEW.deleted_at IS NULL
BEGIN
    INSERT INTO sync_counts (user_id, entity_type, live) VALUES (NEW.user_id, 'query_history', 1)
    ON CONFLICT (user_id, entity_type) DO UPDATE SET live = live + 1;
END;

CREATE TRIGGER sync_counts_query_history_update AFTER UPDATE OF deleted_at ON query_history
WHEN (OLD.deleted_at IS NULL) <> (NEW.deleted_at IS NULL)
BEGIN
    INSERT INTO sync_counts (user_id, entity_type, live) VALUES (NEW.user_id, 'query_history', CASE WHEN NEW.deleted_at IS NULL THEN 1 ELSE -1 END)
    ON CONFLICT (user_id, entity_type) DO UPDATE SET live = live + excluded.live;
END;

CREATE TRIGGER sync_counts_query_history_delete AFTER DELETE ON query_history WHEN OLD.deleted_at IS NULL
BEGIN
    UPDATE sync_counts SET live = live - 1 WHERE user_id = OLD.user_id AND entity_type = 'query_history';
END;

INSERT INTO sync_counts (user_id, entity_type, live)
SELECT user_id, 'saved_queries', count(*) FROM saved_queries WHERE deleted_at IS NULL GROUP BY user_id;

CREATE TRIGGER sync_counts_saved_queries_insert AFTER INSERT ON saved_queries WHEN NEW.deleted_at IS NULL
BEGIN
    INSERT INTO sync_counts (user_id, entity_type, live) VALUES (NEW.user_id, 'saved_queries', 1)
    ON CONFLICT (user_id, entity_type) DO UPDATE SET live = live + 1;
END;

CREATE TRIGGER sync_counts_saved_queries_update AFTER UPDATE OF deleted_at ON saved_queries
WHEN (OLD.deleted_at IS NULL) <> (NEW.deleted_at IS NULL)
BEGIN
    INSERT INTO sync_counts (user_id, entity_type, live) VALUES (NEW.user_id, 'saved_queries', CASE WHEN NEW.deleted_at IS NULL THEN 1 ELSE -1 END)
    ON CONFLICT (user_id, entity_type) DO UPDATE SET live = live + excluded.live;
END;

CREATE TRIGGER sync_counts_saved_queries_delete AFTER DELETE ON saved_queries WHEN OLD.deleted_at IS NULL
BEGIN
    UPDATE sync_counts SET live = live - 1 WHERE user_id = OLD.user_id AND entity_type = 'saved_queries';
END;

INSERT INTO sync_counts (user_id, entity_type, live)
SELECT user_id, 'ai_sessions', count(*) FROM ai_sessions WHERE deleted_at IS NULL GROUP BY user_id;

CREATE TRIGGER sync_counts_ai_sessions_insert AFTER INSERT ON ai_sessions WHEN NEW.deleted_at IS NULL
BEGIN
    INSERT INTO sync_counts (user_id, entity_type, live) VALUES (NEW.user_id, 'ai_sessions', 1)
    ON CONFLICT (user_id, entity_type) DO UPDATE SET live = live + 1;
END;

CREATE TRIGGER sync_counts_ai_sessions_update AFTER UPDATE OF deleted_at ON ai_sessions
WHEN (OLD.deleted_at IS NULL) <> (NEW.deleted_at IS NULL)
BEGIN
    INSERT INTO sync_counts (user_id, entity_type, live) VALUES (NEW.user_id, 'ai_sessions', CASE WHEN NEW.deleted_at IS NULL THEN 1 ELSE -1 END)
    ON CONFLICT (user_id, entity_type) DO UPDATE SET live = live + excluded.live;
END;

CREATE TRIGGER sync_counts_ai_sessions_delete AFTER DELETE ON ai_sessions WHEN OLD.deleted_at IS NULL
BEGIN
    UPDATE sync_counts SET live = live - 1 WHERE user_id = OLD.user_id AND entity_type = 'ai_sessions';
END;

INSERT INTO sync_counts (user_id, entity_type, live)
SELECT user_id, 'ai_messages', count(*) FROM ai_messages WHERE deleted_at IS NULL GROUP BY user_id;

CREATE TRIGGER sync_counts_ai_messages_insert AFTER INSERT ON ai_messages WHEN NEW.deleted_at IS NULL
BEGIN
    INSERT INTO sync_counts (user_id, entity_type, live) VALUES (NEW.user_id, 'ai_messages', 1)
    ON CONFLICT (user_id, entity_type) DO UPDATE SET live = live + 1;
END;

CREATE TRIGGER sync_counts_ai_messages_update AFTER UPDATE OF deleted_at ON ai_messages
WHEN (OLD.deleted_at IS NULL) <> (NEW.deleted_at IS NULL)
BEGIN
    INSERT INTO sync_counts (user_id, entity_type, live) VALUES (NEW.user_id, 'ai_messages', CASE WHEN NEW.deleted_at IS NULL THEN 1 ELSE -1 END)
    ON CONFLICT (user_id, entity_type) DO UPDATE SET live = live + excluded.live;
END;

CREATE TRIGGER sync_counts_ai_messages_delete AFTER DELETE ON ai_messages WHEN OLD.deleted_at IS NULL
BEGIN
    UPDATE sync_counts SET live = live - 1 WHERE user_id = OLD.user_id AND entity_type = 'ai_messages';
END;

INSERT INTO sync_counts (user_id, entity_type, live)
SELECT user_id, 'ui_preferences', count(*) FROM ui_preferences WHERE deleted_at IS NULL GROUP BY user_id;

CREATE TRIGGER sync_counts_ui_preferences_insert AFTER INSERT ON ui_preferences WHEN NEW.deleted_at IS NULL
BEGIN
    INSERT INTO sync_counts (user_id, entity_type, live) VALUES (NEW.user_id, 'ui_preferences', 1)
    ON CONFLICT (user_id, entity_type) DO UPDATE SET live = live + 1;
END;

CREATE TRIGGER sync_counts_ui_preferences_update AFTER UPDATE OF deleted_at ON ui_preferences
WHEN (OLD.deleted_at IS NULL) <> (NEW.deleted_at IS NULL)
BEGIN
    INSERT INTO sync_counts (user_id, entity_type, live) VALUES (NEW.user_id, 'ui_preferences', CASE WHEN NEW.deleted_at IS NULL THEN 1 ELSE -1 END)
    ON CONFLICT (user_id, entity_type) DO UPDATE SET live = live + excluded.live;
END;

CREATE TRIGGER sync_counts_ui_preferences_delete AFTER DELETE ON ui_preferences WHEN OLD.deleted_at IS NULL
BEGIN
    UPDATE sync_counts SET live = live - 1 WHERE user_id = OLD.user_id AND entity_type = 'ui_preferences';
END;

CREATE TRIGGER sync_counts_user_delete AFTER DELETE ON users
BEGIN
    DELETE FROM sync_counts WHERE user_id = OLD.user_id;
END;
