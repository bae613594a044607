//! Who a status mentions.

use crate::db::DbConn;
use crate::error::Error;
use diesel::prelude::*;

/// Record the accounts a status mentions.
pub fn insert(conn: &mut DbConn, status_id: i64, account_ids: &[i64]) -> Result<(), Error> {
    use crate::db::schema::mentions;
    for account_id in account_ids {
        diesel::insert_into(mentions::table)
            .values((
                mentions::status_id.eq(status_id),
                mentions::account_id.eq(account_id),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// (status id, account id) of the mentions in `status_ids`.
pub fn of_statuses(conn: &mut DbConn, status_ids: &[i64]) -> Result<Vec<(i64, i64)>, Error> {
    use crate::db::schema::mentions;
    Ok(mentions::table
        .filter(super::one_of(conn, mentions::status_id, status_ids))
        .select((mentions::status_id, mentions::account_id))
        .load(conn)?)
}

/// Whether `account_id` is mentioned in the status.
pub fn is_mentioned(conn: &mut DbConn, status_id: i64, account_id: i64) -> Result<bool, Error> {
    Ok(!of_statuses(conn, &[status_id])?
        .iter()
        .all(|(_, a)| *a != account_id))
}
