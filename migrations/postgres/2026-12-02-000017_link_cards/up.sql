-- Link previews: the page a post links to first, described by its OpenGraph or HTML title
-- (fetched in the background, once per URL).
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
CREATE INDEX link_cards_state ON link_cards (state, created_at);

-- The link of a post that gets a card. A post from another server may describe its link
-- itself (a Lemmy link thread: title and thumbnail); that description is the post's own,
-- never shared with other posts of the same link.
CREATE TABLE status_links (
    status_id BIGINT PRIMARY KEY REFERENCES statuses (id) ON DELETE CASCADE,
    url TEXT NOT NULL,
    title TEXT,
    image_url TEXT
);
CREATE INDEX status_links_url ON status_links (url);
