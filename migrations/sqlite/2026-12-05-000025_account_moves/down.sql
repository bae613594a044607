DROP TABLE account_aliases;
ALTER TABLE accounts DROP COLUMN moved_to_id;
