ALTER TABLE instances DROP COLUMN software;
