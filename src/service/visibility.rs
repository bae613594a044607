//! Who may see a status. Every door (client API, ActivityPub fetch, web pages) asks here.

use crate::db::DbConn;
use crate::error::Error;
use crate::store::{
    accounts::Account,
    follows::{self, ACCEPTED},
    statuses::{Status, PRIVATE, PUBLIC, UNLISTED},
};

/// Whether `viewer` (None: anonymous) may see `status`.
pub fn can_see(
    conn: &mut DbConn,
    viewer: Option<&Account>,
    status: &Status,
) -> Result<bool, Error> {
    if status.deleted_at.is_some() {
        return Ok(false);
    }
    if status.visibility == PUBLIC || status.visibility == UNLISTED {
        return Ok(true);
    }
    let Some(viewer) = viewer else {
        return Ok(false);
    };
    if viewer.id == status.account_id {
        return Ok(true);
    }
    let accepted = |conn: &mut DbConn, target: i64| -> Result<bool, Error> {
        Ok(follows::between(conn, viewer.id, target)?.is_some_and(|f| f.state == ACCEPTED))
    };
    if status.visibility == PRIVATE {
        if accepted(conn, status.account_id)? {
            return Ok(true);
        }
        if let Some(community) = status.community_id {
            return accepted(conn, community);
        }
        return Ok(false);
    }
    // Direct: its author and the people it mentions.
    crate::store::statuses::is_mentioned(conn, status.id, viewer.id)
}

/// The statuses of `list` that `viewer` may see, in order. A boost is shown only if what it
/// boosts may be seen too; the boosted statuses are loaded with one query. Public and
/// unlisted statuses need no further query; followers-only and direct ones are checked
/// one by one.
pub fn filter_visible(
    conn: &mut DbConn,
    viewer: Option<&Account>,
    list: Vec<Status>,
) -> Result<Vec<Status>, Error> {
    let boosted_ids: Vec<i64> = list.iter().filter_map(|s| s.reblog_of_id).collect();
    let boosted: std::collections::HashMap<i64, Status> =
        crate::store::statuses::by_ids(conn, &boosted_ids)?
            .into_iter()
            .map(|s| (s.id, s))
            .collect();
    let mut visible = Vec::with_capacity(list.len());
    for status in list {
        let original_visible = match status.reblog_of_id {
            Some(id) => match boosted.get(&id) {
                Some(original) => can_see(conn, viewer, original)?,
                None => false,
            },
            None => true,
        };
        if original_visible && can_see(conn, viewer, &status)? {
            visible.push(status);
        }
    }
    Ok(visible)
}
