-- Indexes that serve both the filter and the order of the remaining lists, so that no page
-- sorts everything that matches its filter: a person's favourites, followers and follows, a
-- thread's replies, pinned posts, the directory.
CREATE INDEX favourites_account ON favourites (account_id, id);
CREATE INDEX follows_target_page ON follows (target_account_id, state, id);
CREATE INDEX follows_account_page ON follows (account_id, state, id);
DROP INDEX follows_target;
CREATE INDEX statuses_thread ON statuses (thread_root_id, id);
DROP INDEX statuses_thread_root;
CREATE INDEX statuses_profile_pinned ON statuses (account_id, profile_pinned_at)
    WHERE profile_pinned_at IS NOT NULL;
CREATE INDEX statuses_community_pinned ON statuses (community_id, pinned_at)
    WHERE pinned_at IS NOT NULL;
CREATE INDEX accounts_last_status ON accounts (last_status_at, id);
