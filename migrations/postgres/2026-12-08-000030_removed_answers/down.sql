ALTER TABLE questions DROP COLUMN removed_answer_id;
