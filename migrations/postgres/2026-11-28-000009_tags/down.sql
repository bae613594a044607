DROP TABLE followed_tags;
DROP TABLE status_tags;
