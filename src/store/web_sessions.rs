//! Browser sessions, found by the hash of their cookie's token.

use crate::db::{schema::web_sessions, DbConn};
use crate::error::Error;
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = web_sessions)]
pub struct WebSession {
    pub id: i64,
    pub user_id: i64,
    pub token_hash: String,
    pub created_at: NaiveDateTime,
    pub last_used_at: NaiveDateTime,
}

pub fn insert(conn: &mut DbConn, session: &WebSession) -> Result<(), Error> {
    diesel::insert_into(web_sessions::table)
        .values(session)
        .execute(conn)?;
    Ok(())
}

pub fn by_token_hash(conn: &mut DbConn, hash: &str) -> Result<Option<WebSession>, Error> {
    Ok(web_sessions::table
        .filter(web_sessions::token_hash.eq(hash))
        .select(WebSession::as_select())
        .first(conn)
        .optional()?)
}

pub fn touch(conn: &mut DbConn, id: i64, now: NaiveDateTime) -> Result<(), Error> {
    diesel::update(web_sessions::table.find(id))
        .set(web_sessions::last_used_at.eq(now))
        .execute(conn)?;
    Ok(())
}

pub fn delete(conn: &mut DbConn, id: i64) -> Result<(), Error> {
    diesel::delete(web_sessions::table.find(id)).execute(conn)?;
    Ok(())
}

/// End every session of `user_id` but `keep`.
pub fn delete_others(conn: &mut DbConn, user_id: i64, keep: i64) -> Result<(), Error> {
    diesel::delete(
        web_sessions::table
            .filter(web_sessions::user_id.eq(user_id))
            .filter(web_sessions::id.ne(keep)),
    )
    .execute(conn)?;
    Ok(())
}

/// End the sessions last used before `before`; how many there were.
pub fn delete_unused_since(conn: &mut DbConn, before: NaiveDateTime) -> Result<usize, Error> {
    Ok(
        diesel::delete(web_sessions::table.filter(web_sessions::last_used_at.lt(before)))
            .execute(conn)?,
    )
}
