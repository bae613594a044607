//! Hashtags people follow: the public posts that carry them come to their home timeline.

use crate::db::DbConn;
use crate::error::Error;
use crate::ids::next_id;
use crate::store::tags;

/// A tag's name as kept: without `#`, lowercase; 404 for what cannot be a tag.
pub fn normalise(name: &str) -> Result<String, Error> {
    let name = name.trim_start_matches('#').to_lowercase();
    let valid = !name.is_empty() && name.chars().all(|c| c.is_alphanumeric() || c == '_');
    if valid {
        Ok(name)
    } else {
        Err(Error::NotFound)
    }
}

pub fn follow(conn: &mut DbConn, account_id: i64, tag: &str) -> Result<(), Error> {
    tags::follow(conn, next_id(), account_id, &normalise(tag)?)
}

pub fn unfollow(conn: &mut DbConn, account_id: i64, tag: &str) -> Result<(), Error> {
    tags::unfollow(conn, account_id, &normalise(tag)?)
}
