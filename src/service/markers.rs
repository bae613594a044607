//! Read markers: where a person stopped reading their home timeline and notifications,
//! shared by all their apps.

use crate::db::DbConn;
use crate::error::Error;
use crate::store::markers::{self, Marker};

/// Timelines that have read markers.
pub const TIMELINES: [&str; 2] = ["home", "notifications"];

/// Move the person's markers, (timeline, last read id) each, and give them back.
pub fn save(
    conn: &mut DbConn,
    account_id: i64,
    moves: &[(String, String)],
) -> Result<Vec<Marker>, Error> {
    if let Some((unknown, _)) = moves.iter().find(|(t, _)| !TIMELINES.contains(&t.as_str())) {
        return Err(Error::Unprocessable(format!(
            "{unknown} has no read marker; use {}",
            TIMELINES.join(" or ")
        )));
    }
    crate::db::transaction(conn, |conn| {
        for (timeline, id) in moves {
            markers::set(conn, account_id, timeline, id)?;
        }
        let names: Vec<String> = moves.iter().map(|(t, _)| t.clone()).collect();
        markers::of(conn, account_id, &names)
    })
}
