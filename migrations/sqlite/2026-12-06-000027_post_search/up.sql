-- The words of a post as people search them: the text as written for posts made here; for
-- posts from elsewhere, their HTML until they are edited (Guild writes plain text from then
-- on). Boosts and deleted posts have none.
ALTER TABLE statuses ADD COLUMN search_text TEXT NOT NULL DEFAULT '';
UPDATE statuses SET search_text = CASE WHEN source <> '' THEN source ELSE content END
WHERE reblog_of_id IS NULL AND deleted_at IS NULL;

-- Full-text index (FTS5, English stemming) over thread titles and text, kept by triggers.
CREATE VIRTUAL TABLE status_search USING fts5(
    title, search_text, content = 'statuses', content_rowid = 'id', tokenize = 'porter unicode61'
);
CREATE TRIGGER status_search_insert AFTER INSERT ON statuses BEGIN
    INSERT INTO status_search (rowid, title, search_text) VALUES (new.id, new.title, new.search_text);
END;
CREATE TRIGGER status_search_delete AFTER DELETE ON statuses BEGIN
    INSERT INTO status_search (status_search, rowid, title, search_text)
    VALUES ('delete', old.id, old.title, old.search_text);
END;
CREATE TRIGGER status_search_update AFTER UPDATE OF title, search_text ON statuses BEGIN
    INSERT INTO status_search (status_search, rowid, title, search_text)
    VALUES ('delete', old.id, old.title, old.search_text);
    INSERT INTO status_search (rowid, title, search_text) VALUES (new.id, new.title, new.search_text);
END;
INSERT INTO status_search (status_search) VALUES ('rebuild');
