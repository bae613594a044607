//! Rows kept in memory while their versions stand. A version is a number that a trigger
//! moves with every change to its row, whatever statement makes it and on whichever node:
//! a kept row whose version the database still gives is the row as it stands, and nothing
//! needs telling when one changes. Callers read the versions, take what stands from here,
//! read the rest and keep it.

use super::DbConn;
use crate::error::Error;
use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

/// Values kept by row id, each with the version it was read at; at most `most` of them.
pub struct Kept<T> {
    rows: Mutex<Option<HashMap<i64, (i64, T)>>>,
    most: usize,
}

impl<T: Clone> Kept<T> {
    pub const fn new(most: usize) -> Kept<T> {
        Kept {
            rows: Mutex::new(None),
            most,
        }
    }

    fn rows(&self) -> MutexGuard<'_, Option<HashMap<i64, (i64, T)>>> {
        // Nothing is left half-changed by a panic while it is held.
        self.rows.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Of the rows `versions` names (id, version), the kept values whose version stands
    /// and that `fit`, and the ids of the others, which the caller reads.
    pub fn standing(
        &self,
        versions: impl IntoIterator<Item = (i64, i64)>,
        fits: impl Fn(&T) -> bool,
    ) -> (HashMap<i64, T>, Vec<i64>) {
        let (mut found, mut moved) = (HashMap::new(), Vec::new());
        let rows = self.rows();
        for (id, version) in versions {
            let kept = rows.as_ref().and_then(|rows| rows.get(&id));
            match kept.filter(|(at, value)| *at == version && fits(value)) {
                Some((_, value)) => {
                    found.insert(id, value.clone());
                }
                None => moved.push(id),
            }
        }
        (found, moved)
    }

    /// Keep each of `read` under its version in `versions`, which were read before it (so
    /// each value is at least as new as its version), if `conn` read them outside a
    /// transaction: those are committed, and a committed version never names another row,
    /// where one read inside a transaction may be rolled back and then taken by another
    /// change.
    pub fn keep(
        &self,
        conn: &mut DbConn,
        versions: &HashMap<i64, i64>,
        read: impl ExactSizeIterator<Item = (i64, T)>,
    ) -> Result<(), Error> {
        if super::in_transaction(conn)? {
            return Ok(());
        }
        let mut rows = self.rows();
        let rows = rows.get_or_insert_with(HashMap::new);
        if rows.len() + read.len() > self.most {
            // Emptied when full: what is shown again soon comes back with its next reading.
            rows.clear();
        }
        for (id, value) in read {
            if let Some(&version) = versions.get(&id) {
                rows.insert(id, (version, value));
            }
        }
        Ok(())
    }
}
