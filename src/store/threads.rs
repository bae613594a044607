//! A thread's statuses, read whole for its context and its page. A long thread's rows are
//! most of what showing it costs, and they rarely change between two readings: each row
//! carries a version that every change to it moves (a trigger moves it, whatever statement
//! changes the row and on whichever node), so the thread is read as its statuses' versions
//! and only the rows whose version moved are read again.

use super::statuses::{Boxed, Status};
use crate::db::kept::Kept;
use crate::db::{schema::statuses, DbConn};
use crate::error::Error;
use diesel::prelude::*;
use std::collections::HashMap;

/// Threads shorter than this are read whole each time: their rows cost little, and the
/// kept rows are left to the long threads that need them.
const KEPT_FROM: usize = 200;

/// Rows kept at most, by id (a server serves one database): a few MB, four long threads'
/// worth.
static KEPT: Kept<Status> = Kept::new(4096);

/// Not deleted, removed, or a boost.
fn standing(query: Boxed<'static>) -> Boxed<'static> {
    query
        .filter(statuses::deleted_at.is_null())
        .filter(statuses::removed_at.is_null())
        .filter(statuses::reblog_of_id.is_null())
}

/// Every standing status of a thread (its root and all replies under it), oldest first.
/// The root and the replies are asked apart: with `id = root OR thread_root_id = root` in
/// one query, a planner may walk the whole table in id order rather than sort a thread's
/// replies.
pub fn standing_rows(conn: &mut DbConn, root_id: i64) -> Result<Vec<Status>, Error> {
    let root = statuses::table.filter(statuses::id.eq(root_id));
    let replies = statuses::table.filter(statuses::thread_root_id.eq(root_id));
    let replies = standing(replies.into_boxed()).order(statuses::id.asc());
    let version = (statuses::id, statuses::version);
    let mut versions: Vec<(i64, i64)> = standing(root.into_boxed()).select(version).load(conn)?;
    versions.extend(replies.select(version).load::<(i64, i64)>(conn)?);
    // A short thread's rows are read whole each time and not kept.
    if versions.len() < KEPT_FROM {
        let ids: Vec<i64> = versions.iter().map(|(id, _)| *id).collect();
        let found = read(conn, &ids)?.into_iter().map(|row| (row.id, row));
        return Ok(in_order(&versions, found.collect()));
    }
    let (mut found, moved) = KEPT.standing(versions.iter().copied(), |_| true);
    if !moved.is_empty() {
        let read = read(conn, &moved)?;
        let at: HashMap<i64, i64> = versions.iter().copied().collect();
        KEPT.keep(conn, &at, read.iter().map(|row| (row.id, row.clone())))?;
        found.extend(read.into_iter().map(|row| (row.id, row)));
    }
    Ok(in_order(&versions, found))
}

/// The rows of `found` in the order of `versions`.
fn in_order(versions: &[(i64, i64)], mut found: HashMap<i64, Status>) -> Vec<Status> {
    versions
        .iter()
        .filter_map(|(id, _)| found.remove(id))
        .collect()
}

/// The standing statuses among `ids`: one that stopped standing since its version was read
/// is left out.
fn read(conn: &mut DbConn, ids: &[i64]) -> Result<Vec<Status>, Error> {
    let query = statuses::table.filter(super::one_of_keys(conn, statuses::id, ids));
    Ok(standing(query.into_boxed())
        .select(Status::as_select())
        .load(conn)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Visibility;
    use crate::service::statuses::{create, NewPost};
    use crate::testing::Fixture;

    /// A long thread read again is what reading every row afresh gives, whatever changed in
    /// between: a count, a deletion, a new reply, an edit after one rolled back.
    #[test]
    fn a_long_thread_reads_as_it_stands() {
        let f = Fixture::new();
        let conn = &mut *f.conn();
        let (ann, bob) = (f.person(conn, "ann"), f.person(conn, "bob"));
        let root = f.post(conn, &ann, "Where are the runbooks?", None, None);
        let reply = |conn: &mut DbConn, n: usize| {
            let post = NewPost {
                text: format!("In folder {n}"),
                in_reply_to_id: Some(root.id),
                ..NewPost::new(Visibility::Public)
            };
            create(conn, &f.config, &bob, post).unwrap()
        };
        let replies: Vec<Status> = (0..KEPT_FROM).map(|n| reply(conn, n)).collect();
        let afresh = |conn: &mut DbConn| {
            let thread = statuses::id
                .eq(root.id)
                .or(statuses::thread_root_id.eq(root.id));
            let query = statuses::table.filter(thread).order(statuses::id.asc());
            let rows = standing(query.into_boxed()).select(Status::as_select());
            format!("{:?}", rows.load::<Status>(conn).unwrap())
        };
        let read = |conn: &mut DbConn| format!("{:?}", standing_rows(conn, root.id).unwrap());
        let set_content = |conn: &mut DbConn, id: i64, content: &str| {
            let row = diesel::update(statuses::table.find(id));
            row.set(statuses::content.eq(content)).execute(conn)
        };
        let same = |conn: &mut DbConn| read(conn) == afresh(conn);
        assert!(same(conn));
        assert!(same(conn), "read again from what was kept");

        crate::service::interactions::favourite(conn, &f.config, &ann, replies[3].id).unwrap();
        assert!(same(conn), "after a favourite");
        super::super::statuses::mark_deleted(conn, replies[5].id, crate::time::now()).unwrap();
        assert!(same(conn), "after a deletion");
        let newest = reply(conn, KEPT_FROM);
        let after_reply = read(conn);
        assert!(after_reply == afresh(conn), "after a new reply");
        assert!(after_reply.contains(&newest.ap_id));

        // Read inside a transaction that is then rolled back: not kept, so the next change,
        // which takes the same version, is not mistaken for it.
        let _ = crate::db::transaction(conn, |conn| {
            set_content(conn, replies[7].id, "<p>never said</p>")?;
            assert!(read(conn).contains("never said"));
            Err::<(), _>(Error::NotFound)
        });
        set_content(conn, replies[7].id, "<p>said instead</p>").unwrap();
        let after_edit = read(conn);
        assert!(after_edit == afresh(conn), "after an edit");
        assert!(after_edit.contains("said instead"));
    }
}
