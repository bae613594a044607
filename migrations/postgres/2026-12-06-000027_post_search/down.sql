DROP INDEX statuses_search;
ALTER TABLE statuses DROP COLUMN search_document;
ALTER TABLE statuses DROP COLUMN search_text;
