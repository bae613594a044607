-- A person's own pins on their profile, apart from a community's pinned threads.
ALTER TABLE statuses ADD COLUMN profile_pinned_at TIMESTAMP;
