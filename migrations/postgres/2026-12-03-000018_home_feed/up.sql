-- Each local person's home timeline, written as posts arrive (and when they follow, join or
-- follow a tag), so that a page of home reads only the rows it shows, however quiet or busy
-- the sources and however large the instance.
CREATE TABLE home_feed (
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    status_id BIGINT NOT NULL REFERENCES statuses (id) ON DELETE CASCADE,
    PRIMARY KEY (account_id, status_id)
);
CREATE INDEX home_feed_status ON home_feed (status_id);
CREATE INDEX followed_tags_tag ON followed_tags (tag);

-- The public timelines, local and remote: an index that serves their filter and their order,
-- so a page costs the same whether local posts are most of the instance or a sliver of it.
CREATE INDEX statuses_visibility ON statuses (visibility, id);
CREATE INDEX statuses_visibility_local ON statuses (visibility, local, id);

-- Homes as they were: own posts, followed people's and joined communities' posts (not
-- direct ones), public posts with followed tags.
INSERT INTO home_feed (account_id, status_id)
SELECT u.account_id, s.id FROM users u JOIN statuses s ON s.account_id = u.account_id
WHERE true ON CONFLICT DO NOTHING;
INSERT INTO home_feed (account_id, status_id)
SELECT f.account_id, s.id FROM follows f
JOIN users u ON u.account_id = f.account_id
JOIN statuses s ON s.account_id = f.target_account_id
WHERE f.state = 'accepted' AND s.visibility <> 'direct' ON CONFLICT DO NOTHING;
INSERT INTO home_feed (account_id, status_id)
SELECT f.account_id, s.id FROM follows f
JOIN users u ON u.account_id = f.account_id
JOIN statuses s ON s.community_id = f.target_account_id
WHERE f.state = 'accepted' AND s.visibility <> 'direct' ON CONFLICT DO NOTHING;
INSERT INTO home_feed (account_id, status_id)
SELECT ft.account_id, s.id FROM followed_tags ft
JOIN users u ON u.account_id = ft.account_id
JOIN status_tags st ON st.tag = ft.tag
JOIN statuses s ON s.id = st.status_id
WHERE s.visibility = 'public' ON CONFLICT DO NOTHING;
