DROP TRIGGER IF EXISTS write_guard_check;
DROP VIEW IF EXISTS write_guard;
