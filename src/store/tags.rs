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
        .filter(super::one_of(conn, status_tags::status_id, status_ids))
        .order((status_tags::status_id, status_tags::tag))
        .select((status_tags::status_id, status_tags::tag))
        .load(conn)?)
}

/// Rounds of reading a tag's index for one page: a page never costs more than this many
/// reads, even where most tagged statuses are not public.
const ROUNDS: usize = 4;

/// Public statuses (no boosts) carrying `tag`, newest first, keyset on status id. The ids come
/// off the tag's own index `(tag, status_id)`, a page's worth at a time, and only those
/// statuses are checked: no planner can choose to walk all statuses instead, whatever its
/// statistics say of the tag.
pub fn timeline(
    conn: &mut DbConn,
    tag: &str,
    (local, only_media): (Option<bool>, bool),
    page: Page,
) -> Result<Vec<Status>, Error> {
    let ascending = page.min_id.is_some();
    let mut next = Page {
        limit: page.limit * 4,
        ..page
    };
    let mut found: Vec<Status> = Vec::new();
    for _ in 0..ROUNDS {
        let ids_query = status_tags::table
            .filter(status_tags::tag.eq(tag.to_string()))
            .select(status_tags::status_id)
            .into_boxed();
        let ids: Vec<i64> = load_page!(conn, ids_query, status_tags::status_id, next);
        let mut query = statuses::table
            .filter(super::one_of_keys(conn, statuses::id, &ids))
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
        found.extend(query.load(conn)?);
        let (Some(&oldest), Some(&newest)) = (ids.last(), ids.first()) else {
            break;
        };
        if found.len() as i64 >= page.limit || (ids.len() as i64) < next.limit {
            break;
        }
        match ascending {
            true => next.min_id = Some(newest),
            false => next.max_id = Some(oldest),
        }
    }
    found.sort_by_key(|s| s.id);
    if !ascending {
        found.reverse();
    }
    found.truncate(page.limit.max(0) as usize);
    Ok(crate::store::newest_first(found))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::Fixture;

    /// A page fills from the tag's index even where newer tagged statuses are not public.
    #[test]
    fn a_tag_page_passes_over_what_it_may_not_show() {
        let fixture = Fixture::new();
        let conn = &mut *fixture.conn();
        let ann = fixture.person(conn, "ann");
        for n in 0..5 {
            fixture.post(conn, &ann, &format!("public {n} #rust"), None, None);
        }
        for n in 0..10 {
            let post = crate::service::statuses::NewPost {
                text: format!("private {n} #rust"),
                ..crate::service::statuses::NewPost::new(Visibility::Private)
            };
            crate::service::statuses::create(conn, &fixture.config, &ann, post).unwrap();
        }
        let page = Page {
            limit: 3,
            ..Page::default()
        };
        let shown: Vec<String> = timeline(conn, "rust", (None, false), page)
            .unwrap()
            .into_iter()
            .map(|s| s.source)
            .collect();
        assert_eq!(
            shown,
            ["public 4 #rust", "public 3 #rust", "public 2 #rust"]
        );
        let older = Page {
            max_id: timeline(conn, "rust", (None, false), page)
                .unwrap()
                .last()
                .map(|s| s.id),
            ..page
        };
        let shown: Vec<String> = timeline(conn, "rust", (None, false), older)
            .unwrap()
            .into_iter()
            .map(|s| s.source)
            .collect();
        assert_eq!(shown, ["public 1 #rust", "public 0 #rust"]);
    }
}
