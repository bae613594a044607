DROP TRIGGER statuses_version;
ALTER TABLE statuses DROP COLUMN version;
