-- The words of a post as people search them: the text as written for posts made here, the
-- text of the HTML for posts from elsewhere. Boosts and deleted posts have none.
ALTER TABLE statuses ADD COLUMN search_text TEXT NOT NULL DEFAULT '';
UPDATE statuses
SET search_text = CASE WHEN source <> '' THEN source ELSE regexp_replace(content, '<[^>]*>', ' ', 'g') END
WHERE reblog_of_id IS NULL AND deleted_at IS NULL;

-- Full-text index (English stemming), thread titles weighing more than text.
ALTER TABLE statuses ADD COLUMN search_document tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('english', coalesce(title, '')), 'A')
    || setweight(to_tsvector('english', search_text), 'B')
) STORED;
CREATE INDEX statuses_search ON statuses USING GIN (search_document);
