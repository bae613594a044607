//! When each community thread was last active, for listing threads by activity.

use super::statuses::Status;
use crate::db::{schema::thread_activity, DbConn};
use crate::error::Error;
use diesel::prelude::*;

/// Note a new post: a thread starts active as of itself; a reply makes its thread active as
/// of the reply (ids grow with time, so the newest reply has the largest id).
pub fn note_post(conn: &mut DbConn, status: &Status) -> Result<(), Error> {
    if status.reblog_of_id.is_some() {
        return Ok(());
    }
    match (status.thread_root_id, status.community_id) {
        (Some(root), _) => {
            super::Sql::new(
                "UPDATE thread_activity SET activity_id = $1 WHERE root_id = $2 AND activity_id < $1",
            )
            .int(status.id)
            .int(root)
            .execute(conn)?;
        }
        (None, Some(community_id)) if status.in_reply_to_id.is_none() => {
            diesel::insert_into(thread_activity::table)
                .values((
                    thread_activity::root_id.eq(status.id),
                    thread_activity::community_id.eq(community_id),
                    thread_activity::activity_id.eq(status.id),
                ))
                .execute(conn)?;
        }
        _ => {}
    }
    Ok(())
}

/// A page of a community's threads, most recently active first: (root id, activity id),
/// before the activity id `before`.
pub fn page(
    conn: &mut DbConn,
    community_id: i64,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<(i64, i64)>, Error> {
    let mut query = thread_activity::table
        .filter(thread_activity::community_id.eq(community_id))
        .select((thread_activity::root_id, thread_activity::activity_id))
        .order(thread_activity::activity_id.desc())
        .limit(limit)
        .into_boxed();
    if let Some(before) = before {
        query = query.filter(thread_activity::activity_id.lt(before));
    }
    Ok(query.load(conn)?)
}

#[derive(diesel::QueryableByName)]
struct Latest {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    root_id: i64,
}

/// The `per` most recently active threads of each of `community_ids`, in one statement: one
/// index-ordered read per community, so the cost is the rows shown, not the communities'
/// histories. Root ids, most active first within each community.
pub fn latest_of(conn: &mut DbConn, community_ids: &[i64], per: i64) -> Result<Vec<i64>, Error> {
    if community_ids.is_empty() {
        return Ok(Vec::new());
    }
    // Ids are numbers, so they are written into the statement safely.
    let parts: Vec<String> = community_ids
        .iter()
        .enumerate()
        .map(|(n, id)| {
            format!(
                "SELECT root_id FROM (SELECT root_id FROM thread_activity \
                 WHERE community_id = {id} ORDER BY activity_id DESC LIMIT {per}) AS c{n}"
            )
        })
        .collect();
    let rows: Vec<Latest> = diesel::sql_query(parts.join(" UNION ALL ")).load(conn)?;
    Ok(rows.into_iter().map(|r| r.root_id).collect())
}

/// Work out every thread's activity again from the statuses (after a bulk load), as the
/// migration that made the table did, but without direct replies (see
/// `status_counts::count_post`).
pub fn rebuild(conn: &mut DbConn) -> Result<(), Error> {
    use diesel::connection::SimpleConnection;
    conn.batch_execute(
        "DELETE FROM thread_activity; \
         INSERT INTO thread_activity (root_id, community_id, activity_id) \
         SELECT s.id, s.community_id, \
                COALESCE((SELECT MAX(r.id) FROM statuses r \
                          WHERE r.thread_root_id = s.id AND r.visibility <> 'direct'), s.id) \
         FROM statuses s \
         WHERE s.community_id IS NOT NULL AND s.in_reply_to_id IS NULL \
           AND s.reblog_of_id IS NULL;",
    )?;
    Ok(())
}
