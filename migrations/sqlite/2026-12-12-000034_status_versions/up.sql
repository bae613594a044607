-- A number that moves with every change to a status's row (an edit, a new count, its
-- deletion), whatever statement changes it: a long thread is read as its statuses'
-- versions, and only the rows that moved are read again. The trigger's own update does not
-- fire it again (SQLite runs triggers recursively only when asked, and the condition stops
-- it even then).
ALTER TABLE statuses ADD COLUMN version BIGINT NOT NULL DEFAULT 0;
CREATE TRIGGER statuses_version AFTER UPDATE ON statuses
    FOR EACH ROW WHEN NEW.version = OLD.version
BEGIN
    UPDATE statuses SET version = OLD.version + 1 WHERE id = OLD.id;
END;
