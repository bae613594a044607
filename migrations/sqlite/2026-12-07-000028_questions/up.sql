-- Threads asked as questions, and the reply their author or a moderator of the community
-- accepted as the answer. A thread is a question for good; its answer may change.
CREATE TABLE questions (
    status_id BIGINT PRIMARY KEY REFERENCES statuses (id) ON DELETE CASCADE,
    community_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    answer_id BIGINT REFERENCES statuses (id) ON DELETE SET NULL,
    answered_at TIMESTAMP
);
-- A community's open questions, newest first, read along one index.
CREATE INDEX questions_open ON questions (community_id, status_id) WHERE answer_id IS NULL;
