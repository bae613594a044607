//! Small instance-wide values in `instance_settings`.

use crate::db::{schema::instance_settings, DbConn};
use crate::error::Error;
use diesel::prelude::*;

pub fn get(conn: &mut DbConn, key: &str) -> Result<Option<String>, Error> {
    Ok(instance_settings::table
        .find(key)
        .select(instance_settings::value)
        .first(conn)
        .optional()?)
}

pub fn set(conn: &mut DbConn, key: &str, value: &str) -> Result<(), Error> {
    crate::db::transaction(conn, |conn| {
        remove(conn, key)?;
        diesel::insert_into(instance_settings::table)
            .values((
                instance_settings::key.eq(key),
                instance_settings::value.eq(value),
            ))
            .execute(conn)?;
        Ok(())
    })
}

/// Removes the key; returns whether it was there.
pub fn remove(conn: &mut DbConn, key: &str) -> Result<bool, Error> {
    let removed = diesel::delete(instance_settings::table.find(key)).execute(conn)?;
    Ok(removed > 0)
}
