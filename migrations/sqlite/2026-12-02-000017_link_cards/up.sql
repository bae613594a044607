-- Link previews: the page a post links to first, described by its OpenGraph or HTML title
-- (fetched in the background, once per URL), or as the post's server described it.
CREATE TABLE link_cards (
    url TEXT PRIMARY KEY,
    -- pending (to fetch), ready, or failed (nothing to show)
    state TEXT NOT NULL,
    title TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT '',
    image_url TEXT,
    provider_name TEXT NOT NULL DEFAULT '',
    attempts INTEGER NOT NULL DEFAULT 0,
    fetched_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX link_cards_pending ON link_cards (created_at) WHERE state = 'pending';

-- The link of a post that gets a card.
CREATE TABLE status_links (
    status_id BIGINT PRIMARY KEY REFERENCES statuses (id) ON DELETE CASCADE,
    url TEXT NOT NULL
);
CREATE INDEX status_links_url ON status_links (url);
