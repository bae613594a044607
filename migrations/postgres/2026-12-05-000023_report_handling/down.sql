ALTER TABLE reports DROP COLUMN resolved_by_id;
ALTER TABLE reports DROP COLUMN assigned_account_id;
