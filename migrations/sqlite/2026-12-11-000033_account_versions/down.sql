DROP TRIGGER account_versions_update;
DROP TRIGGER account_versions_insert;
DROP TABLE account_versions;
