//! Bookmarks: a person's private list of statuses to come back to.

use crate::db::{
    schema::{bookmark_tags, bookmarks},
    DbConn,
};
use crate::error::Error;
use crate::store::statuses::Page;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use std::collections::HashSet;

/// A bookmark and the private note its owner wrote on it.
#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = bookmarks)]
pub struct Bookmark {
    pub id: i64,
    pub account_id: i64,
    pub status_id: i64,
    pub created_at: NaiveDateTime,
    pub note: String,
}

/// Bookmark `status_id` for `account_id`; bookmarking twice, even at the same moment, keeps
/// the first.
pub fn add(conn: &mut DbConn, id: i64, account_id: i64, status_id: i64) -> Result<(), Error> {
    let row = (
        bookmarks::id.eq(id),
        bookmarks::account_id.eq(account_id),
        bookmarks::status_id.eq(status_id),
        bookmarks::created_at.eq(crate::time::now()),
    );
    crate::on_backend!(conn, |c| diesel::insert_into(bookmarks::table)
        .values(row)
        .on_conflict_do_nothing()
        .execute(c))?;
    Ok(())
}

pub fn remove(conn: &mut DbConn, account_id: i64, status_id: i64) -> Result<(), Error> {
    diesel::delete(
        bookmarks::table
            .filter(bookmarks::account_id.eq(account_id))
            .filter(bookmarks::status_id.eq(status_id)),
    )
    .execute(conn)?;
    Ok(())
}

/// Which of `status_ids` the account has bookmarked.
pub fn among(
    conn: &mut DbConn,
    account_id: i64,
    status_ids: &[i64],
) -> Result<HashSet<i64>, Error> {
    let pairs = of_each(conn, &[account_id], status_ids)?;
    Ok(pairs.into_iter().map(|(_, status)| status).collect())
}

/// Which of `status_ids` each of `account_ids` has bookmarked: (account, status) pairs.
pub fn of_each(
    conn: &mut DbConn,
    account_ids: &[i64],
    status_ids: &[i64],
) -> Result<Vec<(i64, i64)>, Error> {
    Ok(bookmarks::table
        .filter(super::one_of_keys(conn, bookmarks::account_id, account_ids))
        .filter(super::one_of_keys(conn, bookmarks::status_id, status_ids))
        .select((bookmarks::account_id, bookmarks::status_id))
        .load(conn)?)
}

/// A page of (bookmark id, status id), newest bookmark first; keyset on the bookmark id.
pub fn page(conn: &mut DbConn, account_id: i64, page: Page) -> Result<Vec<(i64, i64)>, Error> {
    let query = bookmarks::table
        .filter(bookmarks::account_id.eq(account_id))
        .select((bookmarks::id, bookmarks::status_id))
        .into_boxed();
    Ok(load_page!(conn, query, bookmarks::id, page))
}

/// The statuses an account bookmarked, oldest first.
pub fn status_ids(conn: &mut DbConn, account_id: i64) -> Result<Vec<i64>, Error> {
    Ok(bookmarks::table
        .filter(bookmarks::account_id.eq(account_id))
        .order(bookmarks::id.asc())
        .select(bookmarks::status_id)
        .load(conn)?)
}

/// The account's bookmark of `status_id`, if it made one.
pub fn find(conn: &mut DbConn, account_id: i64, status_id: i64) -> Result<Option<Bookmark>, Error> {
    Ok(bookmarks::table
        .filter(bookmarks::account_id.eq(account_id))
        .filter(bookmarks::status_id.eq(status_id))
        .select(Bookmark::as_select())
        .first(conn)
        .optional()?)
}

/// The bookmarks with these ids, in no particular order.
pub fn by_ids(conn: &mut DbConn, ids: &[i64]) -> Result<Vec<Bookmark>, Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(bookmarks::table
        .filter(bookmarks::id.eq_any(ids))
        .select(Bookmark::as_select())
        .load(conn)?)
}

/// Every bookmark of an account, oldest first.
pub fn all_of(conn: &mut DbConn, account_id: i64) -> Result<Vec<Bookmark>, Error> {
    Ok(bookmarks::table
        .filter(bookmarks::account_id.eq(account_id))
        .order(bookmarks::id.asc())
        .select(Bookmark::as_select())
        .load(conn)?)
}

pub fn set_note(conn: &mut DbConn, id: i64, note: &str) -> Result<(), Error> {
    diesel::update(bookmarks::table.find(id))
        .set(bookmarks::note.eq(note))
        .execute(conn)?;
    Ok(())
}

/// File the bookmark under exactly `tags`.
pub fn set_tags(conn: &mut DbConn, bookmark: &Bookmark, tags: &[String]) -> Result<(), Error> {
    diesel::delete(bookmark_tags::table.filter(bookmark_tags::bookmark_id.eq(bookmark.id)))
        .execute(conn)?;
    // One statement per tag: a bookmark has at most a handful.
    for tag in tags {
        diesel::insert_into(bookmark_tags::table)
            .values((
                bookmark_tags::bookmark_id.eq(bookmark.id),
                bookmark_tags::account_id.eq(bookmark.account_id),
                bookmark_tags::tag.eq(tag),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// (bookmark id, tag) of the bookmarks `ids`, tags in alphabetical order.
pub fn tags_of(conn: &mut DbConn, ids: &[i64]) -> Result<Vec<(i64, String)>, Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(bookmark_tags::table
        .filter(bookmark_tags::bookmark_id.eq_any(ids))
        .order((bookmark_tags::bookmark_id, bookmark_tags::tag))
        .select((bookmark_tags::bookmark_id, bookmark_tags::tag))
        .load(conn)?)
}

/// A page of the account's bookmark ids filed under `tag`, newest first.
pub fn page_tagged(
    conn: &mut DbConn,
    account_id: i64,
    tag: &str,
    page: Page,
) -> Result<Vec<i64>, Error> {
    let query = bookmark_tags::table
        .filter(bookmark_tags::account_id.eq(account_id))
        .filter(bookmark_tags::tag.eq(tag))
        .select(bookmark_tags::bookmark_id)
        .into_boxed();
    Ok(load_page!(conn, query, bookmark_tags::bookmark_id, page))
}

/// The tags an account files its bookmarks under, alphabetically, with how many each holds.
pub fn tag_counts(conn: &mut DbConn, account_id: i64) -> Result<Vec<(String, i64)>, Error> {
    Ok(bookmark_tags::table
        .filter(bookmark_tags::account_id.eq(account_id))
        .group_by(bookmark_tags::tag)
        .order(bookmark_tags::tag)
        .select((bookmark_tags::tag, diesel::dsl::count_star()))
        .load(conn)?)
}
