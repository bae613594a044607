DROP TABLE moderation_log;
DROP TABLE reports;
DROP TABLE community_invites;
DROP TABLE community_bans;
ALTER TABLE statuses DROP COLUMN pinned_at;
ALTER TABLE statuses DROP COLUMN locked;
ALTER TABLE statuses DROP COLUMN removed_at;
