//! The other accounts a local person says are also theirs (`alsoKnownAs`).

use crate::db::{schema::account_aliases, DbConn};
use crate::error::Error;
use diesel::prelude::*;

/// The actor ids an account names as its own, in the order they were added.
pub fn of(conn: &mut DbConn, account_id: i64) -> Result<Vec<String>, Error> {
    Ok(account_aliases::table
        .filter(account_aliases::account_id.eq(account_id))
        .order(account_aliases::alias.asc())
        .select(account_aliases::alias)
        .load(conn)?)
}

/// Name `alias` as also this account's; false if it already was.
pub fn add(conn: &mut DbConn, account_id: i64, alias: &str) -> Result<bool, Error> {
    if of(conn, account_id)?.iter().any(|a| a == alias) {
        return Ok(false);
    }
    diesel::insert_into(account_aliases::table)
        .values((
            account_aliases::account_id.eq(account_id),
            account_aliases::alias.eq(alias),
        ))
        .execute(conn)?;
    Ok(true)
}
