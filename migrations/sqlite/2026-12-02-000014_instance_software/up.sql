-- What software another instance runs (from its nodeinfo), for the few activity shapes
-- some servers refuse.
ALTER TABLE instances ADD COLUMN software TEXT;
