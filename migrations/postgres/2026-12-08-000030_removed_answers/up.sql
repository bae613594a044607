-- The accepted answer a moderator removed, kept so that restoring it makes it the answer
-- again unless another was accepted meanwhile. `answered_at` stays when it was accepted.
ALTER TABLE questions ADD COLUMN removed_answer_id BIGINT REFERENCES statuses (id) ON DELETE SET NULL;
