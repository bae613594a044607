DROP TABLE bookmark_tags;
ALTER TABLE bookmarks DROP COLUMN note;
