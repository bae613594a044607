//! A status's place in its thread: what it answers and what answers it.

use crate::db::DbConn;
use crate::error::Error;
use crate::store::statuses::Status;
use std::collections::{HashMap, HashSet};

/// Ancestors (root first) and descendants (in reading order) of `status`, from one reading of
/// its thread. A question's accepted answer comes first among its descendants.
pub fn context(conn: &mut DbConn, status: &Status) -> Result<(Vec<Status>, Vec<Status>), Error> {
    let root = status.thread_root_id.unwrap_or(status.id);
    let rows = crate::store::threads::standing_rows(conn, root)?;
    let parents: HashMap<i64, Option<i64>> =
        rows.iter().map(|s| (s.id, s.in_reply_to_id)).collect();
    // From the status's parent up to the root.
    let (mut chain, mut on_chain) = (Vec::new(), HashSet::new());
    let mut parent = status.in_reply_to_id;
    while let Some(id) = parent.filter(|id| parents.contains_key(id) && on_chain.insert(*id)) {
        chain.push(id);
        parent = parents[&id];
    }
    // Rows are oldest first, so a reply always comes after its parent.
    let mut below: HashSet<i64> = HashSet::from([status.id]);
    let (mut above, mut descendants) = (HashMap::new(), Vec::new());
    for row in rows {
        if on_chain.contains(&row.id) {
            above.insert(row.id, row);
        } else if row.in_reply_to_id.is_some_and(|p| below.contains(&p)) {
            below.insert(row.id);
            descendants.push(row);
        }
    }
    let ancestors = chain
        .iter()
        .rev()
        .filter_map(|id| above.remove(id))
        .collect();
    if status.id == root {
        if let Some(answer) = super::questions::accepted_answer(conn, root)? {
            if let Some(at) = descendants.iter().position(|s| s.id == answer) {
                let answer = descendants.remove(at);
                descendants.insert(0, answer);
            }
        }
    }
    Ok((ancestors, descendants))
}

/// `rows` of one thread (its root first) in threaded reading order: each reply under what it
/// answers, oldest first among siblings, with its depth (the root is 0). A reply whose parent
/// is not among `rows` (removed, or not shown to the reader) is placed under the root, and so
/// is `first` (a question's accepted answer), ahead of the others.
pub fn tree(rows: Vec<Status>, first: Option<i64>) -> Vec<(Status, usize)> {
    let Some(root_id) = rows.first().map(|s| s.id) else {
        return Vec::new();
    };
    let present: HashSet<i64> = rows.iter().map(|s| s.id).collect();
    let mut children: HashMap<i64, Vec<Status>> = HashMap::new();
    let mut root = None;
    for row in rows {
        if row.id == root_id {
            root = Some(row);
            continue;
        }
        let parent = row
            .in_reply_to_id
            .filter(|p| present.contains(p) && first != Some(row.id))
            .unwrap_or(root_id);
        children.entry(parent).or_default().push(row);
    }
    let mut ordered = Vec::new();
    let mut stack = vec![(root.expect("the root was first"), 0)];
    while let Some((status, depth)) = stack.pop() {
        let mut below = children.remove(&status.id).unwrap_or_default();
        // The stack takes the last first: `first`, then the oldest.
        below.sort_by_key(|s| (first == Some(s.id), std::cmp::Reverse(s.id)));
        stack.extend(below.into_iter().map(|s| (s, depth + 1)));
        ordered.push((status, depth));
    }
    ordered
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Visibility;

    fn post(id: i64, parent: Option<i64>) -> Status {
        let mut status = Status::new(id, 1, format!("https://x/{id}"), Visibility::Public);
        status.in_reply_to_id = parent;
        status
    }

    #[test]
    fn replies_sit_under_what_they_answer_and_orphans_under_the_root() {
        let rows = vec![
            post(1, None),
            post(2, Some(1)),
            post(3, Some(1)),
            post(4, Some(2)),
            post(5, Some(99)),
            post(6, Some(4)),
        ];
        let order = |first| -> Vec<(i64, usize)> {
            let rows = rows.clone();
            tree(rows, first)
                .into_iter()
                .map(|(s, d)| (s.id, d))
                .collect()
        };
        assert_eq!(
            order(None),
            vec![(1, 0), (2, 1), (4, 2), (6, 3), (3, 1), (5, 1)]
        );
        // An accepted answer comes first under the question, with its own replies.
        assert_eq!(
            order(Some(4)),
            vec![(1, 0), (4, 1), (6, 2), (2, 1), (3, 1), (5, 1)]
        );
    }
}
