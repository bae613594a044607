-- Polls: one per status at most. For a poll of this server, counts are of poll_votes; for
-- one received from another server, they are what its server last said, plus our own votes.
CREATE TABLE polls (
    status_id BIGINT PRIMARY KEY REFERENCES statuses (id) ON DELETE CASCADE,
    multiple BOOLEAN NOT NULL,
    hide_totals BOOLEAN NOT NULL,
    expires_at TIMESTAMP,
    voters_count INTEGER NOT NULL DEFAULT 0,
    -- Set once the people who voted have been told that the poll ended.
    ended_at TIMESTAMP,
    -- For a poll of this server: votes came in since its counts were last sent out.
    counts_changed_at TIMESTAMP
);
CREATE INDEX polls_open ON polls (expires_at) WHERE ended_at IS NULL;

CREATE TABLE poll_options (
    status_id BIGINT NOT NULL REFERENCES polls (status_id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    title TEXT NOT NULL,
    votes_count INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (status_id, position)
);

-- Who voted for what: people of this server in any poll, and people of other servers in
-- this server's polls (ap_id: the vote's Note).
CREATE TABLE poll_votes (
    id BIGINT PRIMARY KEY,
    status_id BIGINT NOT NULL REFERENCES polls (status_id) ON DELETE CASCADE,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    choice INTEGER NOT NULL,
    ap_id TEXT,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (status_id, account_id, choice)
);
CREATE INDEX poll_votes_account ON poll_votes (account_id, status_id);
