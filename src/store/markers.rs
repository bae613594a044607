//! Read positions per timeline.

use crate::db::{schema::markers, DbConn};
use crate::error::Error;
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = markers)]
pub struct Marker {
    pub timeline: String,
    pub last_read_id: String,
    pub version: i32,
    pub updated_at: NaiveDateTime,
}

pub fn of(conn: &mut DbConn, account_id: i64, timelines: &[String]) -> Result<Vec<Marker>, Error> {
    Ok(markers::table
        .filter(markers::account_id.eq(account_id))
        .filter(markers::timeline.eq_any(timelines))
        .select(Marker::as_select())
        .load(conn)?)
}

/// Move a marker, counting the version up.
pub fn set(
    conn: &mut DbConn,
    account_id: i64,
    timeline: &str,
    last_read_id: &str,
) -> Result<(), Error> {
    let now = crate::time::now();
    let updated = diesel::update(
        markers::table
            .filter(markers::account_id.eq(account_id))
            .filter(markers::timeline.eq(timeline)),
    )
    .set((
        markers::last_read_id.eq(last_read_id),
        markers::version.eq(markers::version + 1),
        markers::updated_at.eq(now),
    ))
    .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(markers::table)
            .values((
                markers::account_id.eq(account_id),
                markers::timeline.eq(timeline),
                markers::last_read_id.eq(last_read_id),
                markers::version.eq(0),
                markers::updated_at.eq(now),
            ))
            .execute(conn)?;
    }
    Ok(())
}
