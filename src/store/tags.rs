//! Hashtags: which statuses carry which tag, and which tags people follow.

use crate::db::{
    schema::{followed_tags, status_tags, statuses},
    DbConn,
};
use crate::domain::Visibility;
use crate::error::Error;
use crate::store::home_feed::{self, Source};
use crate::store::statuses::{Page, Status};
use diesel::prelude::*;

/// Longest tag kept; longer ones are not tags anyone types.
const MAX_TAG: usize = 100;
/// Most tags kept of one status.
const MAX_TAGS: usize = 30;

/// Keep a status's tags; a public one reaches the homes of those following them.
pub fn insert(conn: &mut DbConn, status_id: i64, tags: &[String]) -> Result<(), Error> {
    let kept: Vec<String> = tags
        .iter()
        .filter(|t| !t.is_empty() && t.len() <= MAX_TAG)
        .take(MAX_TAGS)
        .cloned()
        .collect();
    for tag in &kept {
        diesel::insert_into(status_tags::table)
            .values((
                status_tags::status_id.eq(status_id),
                status_tags::tag.eq(tag),
            ))
            .execute(conn)?;
    }
    home_feed::fan_out_tags(conn, status_id, &kept)
}

/// Set a status's tags anew, after an edit.
pub fn replace(conn: &mut DbConn, status_id: i64, tags: &[String]) -> Result<(), Error> {
    diesel::delete(status_tags::table.filter(status_tags::status_id.eq(status_id)))
        .execute(conn)?;
    insert(conn, status_id, tags)
}

/// (status id, tag) for each tag of `status_ids`, in one query.
pub fn of_statuses(conn: &mut DbConn, status_ids: &[i64]) -> Result<Vec<(i64, String)>, Error> {
    Ok(status_tags::table
        .filter(status_tags::status_id.eq_any(status_ids))
        .order((status_tags::status_id, status_tags::tag))
        .select((status_tags::status_id, status_tags::tag))
        .load(conn)?)
}

/// Public statuses (no boosts) carrying `tag`, newest first, keyset on status id. Read along
/// the tag's index (tag, status id), so a page costs what it holds however rare the tag.
pub fn timeline(
    conn: &mut DbConn,
    tag: &str,
    (local, only_media): (Option<bool>, bool),
    page: Page,
) -> Result<Vec<Status>, Error> {
    let mut query = status_tags::table
        .inner_join(statuses::table)
        .filter(status_tags::tag.eq(tag.to_string()))
        .filter(statuses::visibility.eq(Visibility::Public))
        .filter(statuses::deleted_at.is_null())
        .filter(statuses::removed_at.is_null())
        .select(Status::as_select())
        .into_boxed();
    if let Some(local) = local {
        query = query.filter(statuses::local.eq(local));
    }
    if only_media {
        query = query.filter(has_media!());
    }
    Ok(load_page!(conn, query, status_tags::status_id, page))
}

/// Tags of public posts that start with `prefix`, most used first.
pub fn search(conn: &mut DbConn, prefix: &str, limit: i64) -> Result<Vec<String>, Error> {
    let pattern = super::starts_with(prefix);
    // Only tags seen on public posts: others would tell what private posts are about.
    let public = statuses::table
        .filter(statuses::visibility.eq(Visibility::Public))
        .filter(statuses::deleted_at.is_null())
        .filter(statuses::removed_at.is_null())
        .select(statuses::id);
    let rows: Vec<(String, i64)> = status_tags::table
        .filter(status_tags::tag.like(pattern).escape('\\'))
        .filter(status_tags::status_id.eq_any(public))
        .group_by(status_tags::tag)
        .select((status_tags::tag, diesel::dsl::count_star()))
        .order(diesel::dsl::count_star().desc())
        .limit(limit)
        .load(conn)?;
    Ok(rows.into_iter().map(|(tag, _)| tag).collect())
}

pub fn follow(conn: &mut DbConn, id: i64, account_id: i64, tag: &str) -> Result<(), Error> {
    if !followed(conn, account_id, &[tag.to_string()])?.is_empty() {
        return Ok(());
    }
    diesel::insert_into(followed_tags::table)
        .values((
            followed_tags::id.eq(id),
            followed_tags::account_id.eq(account_id),
            followed_tags::tag.eq(tag),
            followed_tags::created_at.eq(crate::time::now()),
        ))
        .execute(conn)?;
    home_feed::add(conn, account_id, Source::Tag(tag))
}

pub fn unfollow(conn: &mut DbConn, account_id: i64, tag: &str) -> Result<(), Error> {
    diesel::delete(
        followed_tags::table
            .filter(followed_tags::account_id.eq(account_id))
            .filter(followed_tags::tag.eq(tag)),
    )
    .execute(conn)?;
    home_feed::remove(conn, account_id, Source::Tag(tag))
}

/// Which of `tags` the account follows.
pub fn followed(conn: &mut DbConn, account_id: i64, tags: &[String]) -> Result<Vec<String>, Error> {
    Ok(followed_tags::table
        .filter(followed_tags::account_id.eq(account_id))
        .filter(followed_tags::tag.eq_any(tags))
        .select(followed_tags::tag)
        .load(conn)?)
}

/// A page of (follow id, tag) the account follows, newest first.
pub fn followed_page(
    conn: &mut DbConn,
    account_id: i64,
    page: Page,
) -> Result<Vec<(i64, String)>, Error> {
    let query = followed_tags::table
        .filter(followed_tags::account_id.eq(account_id))
        .select((followed_tags::id, followed_tags::tag))
        .into_boxed();
    Ok(load_page!(conn, query, followed_tags::id, page))
}
