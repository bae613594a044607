ALTER TABLE statuses DROP COLUMN profile_pinned_at;
