-- Core schema. Kept in step with migrations/sqlite: only types both backends share
-- (BIGINT ids, TEXT, BOOLEAN, INTEGER, TIMESTAMP in UTC; JSON as TEXT).

-- Every actor, local or remote, person or community. domain IS NULL means local.
CREATE TABLE accounts (
    id BIGINT PRIMARY KEY,
    kind TEXT NOT NULL,
    username TEXT NOT NULL,
    domain TEXT,
    display_name TEXT NOT NULL DEFAULT '',
    note TEXT NOT NULL DEFAULT '',
    ap_id TEXT NOT NULL UNIQUE,
    url TEXT,
    inbox_url TEXT NOT NULL,
    shared_inbox_url TEXT,
    outbox_url TEXT,
    followers_url TEXT,
    following_url TEXT,
    featured_url TEXT,
    public_key_pem TEXT NOT NULL,
    private_key_pem TEXT,
    locked BOOLEAN NOT NULL DEFAULT FALSE,
    discoverable BOOLEAN NOT NULL DEFAULT TRUE,
    bot BOOLEAN NOT NULL DEFAULT FALSE,
    fields TEXT NOT NULL DEFAULT '[]',
    avatar_url TEXT,
    header_url TEXT,
    followers_count INTEGER NOT NULL DEFAULT 0,
    following_count INTEGER NOT NULL DEFAULT 0,
    statuses_count INTEGER NOT NULL DEFAULT 0,
    last_status_at TIMESTAMP,
    suspended BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    fetched_at TIMESTAMP
);
-- Usernames are case-insensitive and unique per domain and kind: Lemmy lets a person and a
-- community share a name. Local people and communities share one namespace, which
-- service::accounts enforces, since Mastodon clients address both by the same `acct`.
CREATE UNIQUE INDEX accounts_acct ON accounts (lower(username), coalesce(domain, ''), kind);
CREATE INDEX accounts_domain ON accounts (domain);

-- Credentials and role of local people.
CREATE TABLE users (
    id BIGINT PRIMARY KEY,
    account_id BIGINT NOT NULL UNIQUE REFERENCES accounts (id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL DEFAULT 'user',
    approved BOOLEAN NOT NULL DEFAULT FALSE,
    disabled BOOLEAN NOT NULL DEFAULT FALSE,
    locale TEXT NOT NULL DEFAULT 'en',
    created_at TIMESTAMP NOT NULL,
    last_active_at TIMESTAMP
);
CREATE UNIQUE INDEX users_email ON users (lower(email));

-- Settings of communities (group accounts), local and remote.
CREATE TABLE communities (
    account_id BIGINT PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    membership_policy TEXT NOT NULL DEFAULT 'open',
    posting_policy TEXT NOT NULL DEFAULT 'members',
    visibility TEXT NOT NULL DEFAULT 'public',
    rules TEXT NOT NULL DEFAULT '[]',
    moderators_url TEXT,
    created_by BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE community_moderators (
    community_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (community_id, account_id)
);

-- Posts, threads, replies and boosts.
CREATE TABLE statuses (
    id BIGINT PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    community_id BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    in_reply_to_id BIGINT,
    in_reply_to_account_id BIGINT,
    thread_root_id BIGINT,
    reblog_of_id BIGINT REFERENCES statuses (id) ON DELETE CASCADE,
    ap_id TEXT NOT NULL UNIQUE,
    url TEXT,
    title TEXT,
    source TEXT NOT NULL DEFAULT '',
    content TEXT NOT NULL DEFAULT '',
    spoiler_text TEXT NOT NULL DEFAULT '',
    sensitive BOOLEAN NOT NULL DEFAULT FALSE,
    visibility TEXT NOT NULL,
    language TEXT,
    local BOOLEAN NOT NULL,
    replies_count INTEGER NOT NULL DEFAULT 0,
    reblogs_count INTEGER NOT NULL DEFAULT 0,
    favourites_count INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    edited_at TIMESTAMP,
    deleted_at TIMESTAMP
);
CREATE INDEX statuses_account ON statuses (account_id, id);
CREATE INDEX statuses_community ON statuses (community_id, id);
CREATE INDEX statuses_in_reply_to ON statuses (in_reply_to_id);
CREATE INDEX statuses_thread_root ON statuses (thread_root_id);
CREATE INDEX statuses_reblog_of ON statuses (reblog_of_id);

-- Person→person and person→community follows; following a community is membership.
CREATE TABLE follows (
    id BIGINT PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    target_account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    state TEXT NOT NULL,
    ap_id TEXT UNIQUE,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (account_id, target_account_id)
);
CREATE INDEX follows_target ON follows (target_account_id, state);

CREATE TABLE favourites (
    id BIGINT PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    status_id BIGINT NOT NULL REFERENCES statuses (id) ON DELETE CASCADE,
    ap_id TEXT UNIQUE,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (account_id, status_id)
);
CREATE INDEX favourites_status ON favourites (status_id);

CREATE TABLE notifications (
    id BIGINT PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    from_account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    status_id BIGINT REFERENCES statuses (id) ON DELETE CASCADE,
    read BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX notifications_account ON notifications (account_id, id);

-- Per-domain federation policy: suspend, silence, reject_media; allow (allowlist mode).
CREATE TABLE instance_policies (
    domain TEXT PRIMARY KEY,
    policy TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE oauth_apps (
    id BIGINT PRIMARY KEY,
    name TEXT NOT NULL,
    website TEXT,
    redirect_uris TEXT NOT NULL,
    scopes TEXT NOT NULL,
    client_id TEXT NOT NULL UNIQUE,
    client_secret_hash TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

-- Access tokens are stored as SHA-256 hashes; the secret is shown to the client once.
CREATE TABLE oauth_tokens (
    id BIGINT PRIMARY KEY,
    app_id BIGINT NOT NULL REFERENCES oauth_apps (id) ON DELETE CASCADE,
    user_id BIGINT REFERENCES users (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    refresh_token_hash TEXT UNIQUE,
    scopes TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP,
    revoked_at TIMESTAMP
);

-- Every activity we send, dereferenceable by its id.
CREATE TABLE activities (
    id BIGINT PRIMARY KEY,
    ap_id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    actor_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    object_ap_id TEXT,
    data TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

-- One row per target inbox of an outbound activity; the queue that survives restarts.
CREATE TABLE deliveries (
    id BIGINT PRIMARY KEY,
    activity_id BIGINT NOT NULL REFERENCES activities (id) ON DELETE CASCADE,
    inbox_url TEXT NOT NULL,
    domain TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    last_error TEXT,
    delivered_at TIMESTAMP,
    failed_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (activity_id, inbox_url)
);
CREATE INDEX deliveries_due ON deliveries (delivered_at, failed_at, next_attempt_at);

-- Ids of inbound activities already processed, for idempotency.
CREATE TABLE received_activities (
    ap_id TEXT PRIMARY KEY,
    received_at TIMESTAMP NOT NULL
);

-- Small instance-wide values (such as the one-time setup token's hash).
CREATE TABLE instance_settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
