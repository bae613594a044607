-- Files attached to statuses: uploaded here (kept in the file store) or received from other
-- servers (linked by remote_url). An upload waits unattached (status_id NULL) until a post
-- takes it, or is removed after a day.
CREATE TABLE media_attachments (
    id BIGINT PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    status_id BIGINT REFERENCES statuses (id) ON DELETE CASCADE,
    position INTEGER NOT NULL DEFAULT 0,
    kind TEXT NOT NULL,
    content_type TEXT NOT NULL,
    file_key TEXT,
    preview_key TEXT,
    remote_url TEXT,
    description TEXT,
    focus_x REAL,
    focus_y REAL,
    width INTEGER,
    height INTEGER,
    preview_width INTEGER,
    preview_height INTEGER,
    blurhash TEXT,
    file_size BIGINT,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX media_attachments_status ON media_attachments (status_id, position);
CREATE INDEX media_attachments_account ON media_attachments (account_id, id);

-- Which attachments an earlier version of an edited status had (ids, comma-separated).
ALTER TABLE status_edits ADD COLUMN media_ids TEXT NOT NULL DEFAULT '';
