-- A number that moves with every change to an account's row, whatever statement changes it
-- and on whichever node: a list renders its authors from what it kept of them while their
-- versions stand, and reads only the rows that moved. A table of its own, as `accounts`
-- has all the columns diesel's tables take.
CREATE TABLE account_versions (
    id BIGINT PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    version BIGINT NOT NULL
);
INSERT INTO account_versions (id, version) SELECT id, 0 FROM accounts;
CREATE FUNCTION account_versions_next() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO account_versions (id, version) VALUES (NEW.id, 0);
    ELSE
        UPDATE account_versions SET version = version + 1 WHERE id = NEW.id;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER account_versions AFTER INSERT OR UPDATE ON accounts
    FOR EACH ROW EXECUTE FUNCTION account_versions_next();
