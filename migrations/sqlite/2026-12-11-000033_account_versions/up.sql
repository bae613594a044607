-- A number that moves with every change to an account's row, whatever statement changes
-- it: a list renders its authors from what it kept of them while their versions stand, and
-- reads only the rows that moved. A table of its own, as `accounts` has all the columns
-- diesel's tables take.
CREATE TABLE account_versions (
    id BIGINT PRIMARY KEY NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    version BIGINT NOT NULL
) WITHOUT ROWID;
INSERT INTO account_versions (id, version) SELECT id, 0 FROM accounts;
CREATE TRIGGER account_versions_insert AFTER INSERT ON accounts BEGIN
    INSERT INTO account_versions (id, version) VALUES (NEW.id, 0);
END;
CREATE TRIGGER account_versions_update AFTER UPDATE ON accounts BEGIN
    UPDATE account_versions SET version = version + 1 WHERE id = NEW.id;
END;
