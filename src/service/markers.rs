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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::Fixture;

    #[test]
    fn markers_move_forward_with_a_version_and_only_for_known_timelines() {
        let f = Fixture::new();
        let conn = &mut *f.conn();
        let ann = f.person(conn, "ann");
        let home = |id: &str| [("home".to_string(), id.to_string())];
        let first = save(conn, ann.id, &home("10")).unwrap();
        let second = save(conn, ann.id, &home("12")).unwrap();
        assert_eq!((first[0].version, second[0].version), (0, 1));
        assert_eq!(second[0].last_read_id, "12");
        let unknown = save(conn, ann.id, &[("public".to_string(), "1".to_string())]);
        assert!(
            matches!(unknown, Err(Error::Unprocessable(_))),
            "{unknown:?}"
        );
    }
}
