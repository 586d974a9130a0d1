-- A guard for batched writes (Data/SqlBatch.cs): a write batch starts with
--   INSERT INTO write_guard (ok) SELECT <version check>
-- and the trigger aborts the whole batch when the check is false, so a decision made on data read earlier is
-- written only if that data has not moved. Inserting into the view stores nothing.
CREATE VIEW write_guard AS SELECT 1 AS ok WHERE 0;

CREATE TRIGGER write_guard_check INSTEAD OF INSERT ON write_guard
WHEN NEW.ok IS NOT 1
BEGIN
    SELECT RAISE(ABORT, 'write_guard: the data changed since it was read');
END;
