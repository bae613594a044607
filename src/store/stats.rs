//! Instance-wide counts for nodeinfo and the instance endpoints.

use crate::db::{
    schema::{accounts, statuses, users},
    DbConn,
};
use crate::domain::AccountKind;
use crate::error::Error;
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Clone, Debug, Default)]
pub struct InstanceStats {
    pub users: i64,
    pub active_month: i64,
    pub active_halfyear: i64,
    pub communities: i64,
    pub local_posts: i64,
    pub local_comments: i64,
    pub known_domains: i64,
}

pub fn instance_stats(conn: &mut DbConn, now: NaiveDateTime) -> Result<InstanceStats, Error> {
    let mut active_since = |days: i64| -> Result<i64, Error> {
        Ok(users::table
            .filter(users::last_active_at.gt(now - chrono::Duration::days(days)))
            .count()
            .get_result(conn)?)
    };
    let active_month = active_since(30)?;
    let active_halfyear = active_since(180)?;
    let users: i64 = users::table
        .filter(users::approved.eq(true))
        .count()
        .get_result(conn)?;
    let communities: i64 = accounts::table
        .filter(accounts::domain.is_null())
        .filter(accounts::kind.eq(AccountKind::Group))
        .count()
        .get_result(conn)?;
    let local = statuses::table
        .filter(statuses::local.eq(true))
        .filter(statuses::deleted_at.is_null())
        .filter(statuses::reblog_of_id.is_null());
    let local_posts: i64 = local
        .filter(statuses::in_reply_to_id.is_null())
        .count()
        .get_result(conn)?;
    let local_comments: i64 = local
        .filter(statuses::in_reply_to_id.is_not_null())
        .count()
        .get_result(conn)?;
    let known_domains: i64 = accounts::table
        .filter(accounts::domain.is_not_null())
        .select(diesel::dsl::count(accounts::domain).aggregate_distinct())
        .first(conn)?;
    Ok(InstanceStats {
        users,
        active_month,
        active_halfyear,
        communities,
        local_posts,
        local_comments,
        known_domains,
    })
}

/// A post in a community, as health figures need it.
pub struct CommunityPost {
    pub id: i64,
    pub account_id: i64,
    pub thread_root_id: Option<i64>,
    pub created_at: NaiveDateTime,
}

/// (community, id, author, thread root, created) of a post.
type PostRow = (Option<i64>, i64, i64, Option<i64>, NaiveDateTime);

/// Standing posts and comments in the communities `community_ids` since `since`, oldest
/// first, each with its community's id; one query for any number of communities.
pub fn community_posts_since(
    conn: &mut DbConn,
    community_ids: &[i64],
    since: NaiveDateTime,
) -> Result<Vec<(i64, CommunityPost)>, Error> {
    let rows: Vec<PostRow> = statuses::table
        .filter(statuses::community_id.eq_any(community_ids))
        .filter(statuses::created_at.ge(since))
        .filter(statuses::deleted_at.is_null())
        .filter(statuses::removed_at.is_null())
        .filter(statuses::reblog_of_id.is_null())
        .order(statuses::created_at.asc())
        .select((
            statuses::community_id,
            statuses::id,
            statuses::account_id,
            statuses::thread_root_id,
            statuses::created_at,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(community, id, account_id, thread_root_id, created_at)| {
            let post = CommunityPost {
                id,
                account_id,
                thread_root_id,
                created_at,
            };
            (community.unwrap_or_default(), post)
        })
        .collect())
}
