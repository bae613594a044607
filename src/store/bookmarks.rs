//! Bookmarks: a person's private list of statuses to come back to.

use crate::db::{schema::bookmarks, DbConn};
use crate::error::Error;
use crate::store::statuses::Page;
use diesel::prelude::*;
use std::collections::HashSet;

/// Bookmark `status_id` for `account_id`; bookmarking twice keeps the first.
pub fn add(conn: &mut DbConn, id: i64, account_id: i64, status_id: i64) -> Result<(), Error> {
    if among(conn, account_id, &[status_id])?.is_empty() {
        diesel::insert_into(bookmarks::table)
            .values((
                bookmarks::id.eq(id),
                bookmarks::account_id.eq(account_id),
                bookmarks::status_id.eq(status_id),
                bookmarks::created_at.eq(crate::time::now()),
            ))
            .execute(conn)?;
    }
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
    Ok(bookmarks::table
        .filter(bookmarks::account_id.eq(account_id))
        .filter(bookmarks::status_id.eq_any(status_ids))
        .select(bookmarks::status_id)
        .load::<i64>(conn)?
        .into_iter()
        .collect())
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
