-- Who among the administrators took a report on, and who resolved it.
ALTER TABLE reports ADD COLUMN assigned_account_id BIGINT REFERENCES accounts (id) ON DELETE SET NULL;
ALTER TABLE reports ADD COLUMN resolved_by_id BIGINT REFERENCES accounts (id) ON DELETE SET NULL;
