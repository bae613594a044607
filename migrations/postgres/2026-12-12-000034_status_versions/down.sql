DROP TRIGGER statuses_version ON statuses;
DROP FUNCTION statuses_next_version();
ALTER TABLE statuses DROP COLUMN version;
