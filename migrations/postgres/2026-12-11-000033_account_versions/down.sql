DROP TRIGGER account_versions ON accounts;
DROP FUNCTION account_versions_next();
DROP TABLE account_versions;
