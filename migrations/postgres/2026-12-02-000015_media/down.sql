ALTER TABLE status_edits DROP COLUMN media_ids;
DROP TABLE media_attachments;
