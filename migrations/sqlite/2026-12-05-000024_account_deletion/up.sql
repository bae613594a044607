-- When an account was closed for good; the row stays so that its name is never given again.
ALTER TABLE accounts ADD COLUMN deleted_at TIMESTAMP;
