//! Bookmarks: posts a person keeps to read again, seen by nobody else.

use crate::db::DbConn;
use crate::error::Error;
use crate::ids::next_id;
use crate::store::bookmarks;

/// Bookmark a status the person may see (the caller has checked); bookmarking twice is one.
pub fn add(conn: &mut DbConn, account_id: i64, status_id: i64) -> Result<(), Error> {
    bookmarks::add(conn, next_id(), account_id, status_id)
}

pub fn remove(conn: &mut DbConn, account_id: i64, status_id: i64) -> Result<(), Error> {
    bookmarks::remove(conn, account_id, status_id)
}
