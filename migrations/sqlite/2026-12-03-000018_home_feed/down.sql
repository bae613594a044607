DROP INDEX statuses_visibility_local;
DROP INDEX statuses_visibility;
DROP INDEX followed_tags_tag;
DROP TABLE home_feed;
