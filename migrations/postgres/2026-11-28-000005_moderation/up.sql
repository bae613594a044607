-- Community moderation: removals, locks and pins on posts; bans, invites, reports and the
-- public moderation log.

-- A moderator's removal hides a post from everyone but its author and the moderators; it
-- can be restored, unlike a deletion. A locked thread takes no new replies; a pinned one is
-- in its community's featured collection.
ALTER TABLE statuses ADD COLUMN removed_at TIMESTAMP;
ALTER TABLE statuses ADD COLUMN locked BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE statuses ADD COLUMN pinned_at TIMESTAMP;

-- People banned from a community, until expires_at (NULL: for good).
CREATE TABLE community_bans (
    community_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    reason TEXT NOT NULL DEFAULT '',
    expires_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (community_id, account_id)
);

-- Invite links to communities whose membership is by invite; the token is stored hashed.
CREATE TABLE community_invites (
    id BIGINT PRIMARY KEY,
    community_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    created_by BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    max_uses INTEGER,
    uses INTEGER NOT NULL DEFAULT 0,
    expires_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX community_invites_community ON community_invites (community_id, id);

-- Reports of posts (or people) to a community's moderators, local or received as Flag.
CREATE TABLE reports (
    id BIGINT PRIMARY KEY,
    community_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    reporter_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    target_account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    status_id BIGINT REFERENCES statuses (id) ON DELETE CASCADE,
    comment TEXT NOT NULL DEFAULT '',
    ap_id TEXT UNIQUE,
    resolved_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX reports_community ON reports (community_id, id);

-- Every moderator action, public to read: who did what to whom, and why.
CREATE TABLE moderation_log (
    id BIGINT PRIMARY KEY,
    community_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    moderator_id BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    action TEXT NOT NULL,
    target_account_id BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    target_status_id BIGINT REFERENCES statuses (id) ON DELETE SET NULL,
    reason TEXT NOT NULL DEFAULT '',
    expires_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX moderation_log_community ON moderation_log (community_id, id);
