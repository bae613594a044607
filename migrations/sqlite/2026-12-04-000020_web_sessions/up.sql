-- Browser sessions: the cookie holds a random token, stored here only as its hash, so a copy
-- of the database signs nobody in. Sessions idle for too long are ended when next seen.
CREATE TABLE web_sessions (
    id BIGINT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP NOT NULL
);
CREATE INDEX web_sessions_user ON web_sessions (user_id);
