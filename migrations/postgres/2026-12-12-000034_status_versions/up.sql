-- A number that moves with every change to a status's row (an edit, a new count, its
-- deletion), whatever statement changes it and on whichever node: a long thread is read
-- as its statuses' versions, and only the rows that moved are read again.
ALTER TABLE statuses ADD COLUMN version BIGINT NOT NULL DEFAULT 0;
CREATE FUNCTION statuses_next_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.version := OLD.version + 1;
    RETURN NEW;
END
$$;
CREATE TRIGGER statuses_version BEFORE UPDATE ON statuses
    FOR EACH ROW EXECUTE FUNCTION statuses_next_version();
