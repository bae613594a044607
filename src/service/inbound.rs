//! Bookkeeping of what other servers send: activity ids already handled, so that a repeat
//! is acknowledged and not done twice, and the servers we have heard from, which are
//! reachable again, with the software they run.

use crate::db::DbConn;
use crate::error::Error;
use crate::store::{deliveries, instances};

/// Claim an activity id for handling; false if it was handled (or is being handled) already.
pub fn claim(conn: &mut DbConn, activity_id: &str) -> Result<bool, Error> {
    // A transaction, so that on SQLite it queues with the other writers.
    crate::db::transaction(conn, |conn| {
        deliveries::mark_received(conn, activity_id, crate::time::now())
    })
}

/// Give a claim back when handling failed, so that a retry is handled.
pub fn release(conn: &mut DbConn, activity_id: &str) -> Result<(), Error> {
    deliveries::unmark_received(conn, activity_id)
}

/// A server sent us something it signed: it is up.
pub fn heard_from(conn: &mut DbConn, domain: &str) -> Result<(), Error> {
    instances::record(conn, domain, true, crate::time::now())
}

/// Whether what `domain` runs is still to be learnt.
pub fn software_unknown(conn: &mut DbConn, domain: &str) -> Result<bool, Error> {
    Ok(instances::software(conn, domain)?.is_none())
}

/// What `domain` runs (its nodeinfo's `software.name`, lowercase; empty when unreadable, so
/// that it is not asked again and again).
pub fn learnt_software(conn: &mut DbConn, domain: &str, name: &str) -> Result<(), Error> {
    instances::set_software(conn, domain, &name.to_ascii_lowercase())
}
