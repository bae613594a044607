//! Failed sign-ins by key (a name tried, a client address).

use crate::db::{schema::sign_in_failures, DbConn};
use crate::error::Error;
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// How many failures `key` has had, and when the last was.
pub fn get(conn: &mut DbConn, key: &str) -> Result<Option<(i32, NaiveDateTime)>, Error> {
    Ok(sign_in_failures::table
        .find(key)
        .select((sign_in_failures::failures, sign_in_failures::last_at))
        .first(conn)
        .optional()?)
}

/// Set `key`'s count of failures as of `at`.
pub fn set(conn: &mut DbConn, key: &str, failures: i32, at: NaiveDateTime) -> Result<(), Error> {
    let changed = diesel::update(sign_in_failures::table.find(key))
        .set((
            sign_in_failures::failures.eq(failures),
            sign_in_failures::last_at.eq(at),
        ))
        .execute(conn)?;
    if changed == 0 {
        diesel::insert_into(sign_in_failures::table)
            .values((
                sign_in_failures::key.eq(key),
                sign_in_failures::failures.eq(failures),
                sign_in_failures::last_at.eq(at),
            ))
            .execute(conn)?;
    }
    Ok(())
}

pub fn clear(conn: &mut DbConn, key: &str) -> Result<(), Error> {
    diesel::delete(sign_in_failures::table.find(key)).execute(conn)?;
    Ok(())
}

/// Forget every count last added to before `before`.
pub fn forget_before(conn: &mut DbConn, before: NaiveDateTime) -> Result<(), Error> {
    diesel::delete(sign_in_failures::table.filter(sign_in_failures::last_at.lt(before)))
        .execute(conn)?;
    Ok(())
}
