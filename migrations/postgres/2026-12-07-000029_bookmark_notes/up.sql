-- A bookmark's private note, and the tags its owner files it under.
ALTER TABLE bookmarks ADD COLUMN note TEXT NOT NULL DEFAULT '';
CREATE TABLE bookmark_tags (
    bookmark_id BIGINT NOT NULL REFERENCES bookmarks (id) ON DELETE CASCADE,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    PRIMARY KEY (bookmark_id, tag)
);
-- A person's bookmarks under one tag, newest first, read along one index.
CREATE INDEX bookmark_tags_by_tag ON bookmark_tags (account_id, tag, bookmark_id);
