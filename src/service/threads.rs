//! A status's place in its thread: what it answers and what answers it.

use crate::db::DbConn;
use crate::error::Error;
use crate::store::statuses::{self, Status};
use std::collections::{HashMap, HashSet};

/// Ancestors (root first) and descendants (in reading order) of `status`, from one query.
pub fn context(conn: &mut DbConn, status: &Status) -> Result<(Vec<Status>, Vec<Status>), Error> {
    let root = status.thread_root_id.unwrap_or(status.id);
    let rows = statuses::thread(conn, root)?;
    let by_id: HashMap<i64, &Status> = rows.iter().map(|s| (s.id, s)).collect();
    let mut ancestors = Vec::new();
    let mut parent = status.in_reply_to_id;
    while let Some(id) = parent {
        let Some(found) = by_id.get(&id) else { break };
        ancestors.push((*found).clone());
        parent = found.in_reply_to_id;
    }
    ancestors.reverse();
    // Rows are oldest first, so a reply always comes after its parent.
    let mut below: HashSet<i64> = HashSet::from([status.id]);
    let mut descendants = Vec::new();
    for row in &rows {
        if row.in_reply_to_id.is_some_and(|p| below.contains(&p)) {
            below.insert(row.id);
            descendants.push(row.clone());
        }
    }
    Ok((ancestors, descendants))
}
