DROP TABLE status_edits;
DROP TABLE bookmarks;
