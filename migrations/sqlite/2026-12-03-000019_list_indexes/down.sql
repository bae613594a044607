DROP INDEX accounts_last_status;
DROP INDEX statuses_community_pinned;
DROP INDEX statuses_profile_pinned;
CREATE INDEX statuses_thread_root ON statuses (thread_root_id);
DROP INDEX statuses_thread;
CREATE INDEX follows_target ON follows (target_account_id, state);
DROP INDEX follows_account_page;
DROP INDEX follows_target_page;
DROP INDEX favourites_account;
