DROP TRIGGER status_search_update;
DROP TRIGGER status_search_delete;
DROP TRIGGER status_search_insert;
DROP TABLE status_search;
ALTER TABLE statuses DROP COLUMN search_text;
