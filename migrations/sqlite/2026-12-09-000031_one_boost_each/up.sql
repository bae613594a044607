-- A person or community boosts a post at most once. Before this index two boosts made at
-- the same moment could both be stored: the later copies go, and the boosted posts'
-- counts are taken again (a community passing a post on is not counted as a boost).
CREATE TEMPORARY TABLE doubled_boosts AS
SELECT s.id, s.reblog_of_id FROM statuses s
WHERE s.reblog_of_id IS NOT NULL AND s.deleted_at IS NULL AND EXISTS (
    SELECT 1 FROM statuses t
    WHERE t.reblog_of_id = s.reblog_of_id AND t.account_id = s.account_id
      AND t.deleted_at IS NULL AND t.id < s.id
);
DELETE FROM statuses WHERE id IN (SELECT id FROM doubled_boosts);
UPDATE statuses SET reblogs_count = (
    SELECT count(*) FROM statuses b JOIN accounts a ON a.id = b.account_id
    WHERE b.reblog_of_id = statuses.id AND b.deleted_at IS NULL AND a.kind <> 'group'
)
WHERE id IN (SELECT reblog_of_id FROM doubled_boosts);
DROP TABLE doubled_boosts;

CREATE UNIQUE INDEX statuses_one_boost ON statuses (account_id, reblog_of_id)
WHERE reblog_of_id IS NOT NULL AND deleted_at IS NULL;
