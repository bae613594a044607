-- When each thread in a community was last active: the id of its newest reply (ids grow with
-- time), or its own id before any reply. Communities list threads by it ("active"), through
-- an index that serves both the filter and the order.
CREATE TABLE thread_activity (
    root_id BIGINT PRIMARY KEY REFERENCES statuses (id) ON DELETE CASCADE,
    community_id BIGINT NOT NULL,
    activity_id BIGINT NOT NULL
);
CREATE INDEX thread_activity_community ON thread_activity (community_id, activity_id);
INSERT INTO thread_activity (root_id, community_id, activity_id)
SELECT s.id, s.community_id,
       COALESCE((SELECT MAX(r.id) FROM statuses r WHERE r.thread_root_id = s.id), s.id)
FROM statuses s
WHERE s.community_id IS NOT NULL AND s.in_reply_to_id IS NULL AND s.reblog_of_id IS NULL;
