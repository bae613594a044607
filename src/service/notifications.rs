//! Telling local people what happened to them: follows, favourites, boosts and replies.

use crate::db::DbConn;
use crate::error::Error;
use crate::ids::next_id;
use crate::store::{
    accounts,
    notifications::{self, Notification},
};

/// Notification types as Mastodon names them.
pub const FOLLOW: &str = "follow";
pub const FOLLOW_REQUEST: &str = "follow_request";
pub const FAVOURITE: &str = "favourite";
pub const REBLOG: &str = "reblog";
pub const MENTION: &str = "mention";
/// A status the recipient boosted was edited.
pub const UPDATE: &str = "update";

/// A report reached the moderators of a community.
pub const REPORT: &str = "admin.report";

/// Notify `recipient` of `kind` done by `from`; nothing for remote recipients (their own
/// server notifies them) or for what people do to themselves.
pub fn notify(
    conn: &mut DbConn,
    recipient_id: i64,
    from_id: i64,
    kind: &str,
    status_id: Option<i64>,
) -> Result<(), Error> {
    insert(conn, (recipient_id, from_id), kind, status_id, None)
}

/// Tell a community's local moderators of a report about it.
pub fn notify_report(
    conn: &mut DbConn,
    community_id: i64,
    reporter_id: i64,
    report_id: i64,
) -> Result<(), Error> {
    for moderator in crate::store::communities::moderator_ids(conn, community_id)? {
        insert(
            conn,
            (moderator, reporter_id),
            REPORT,
            None,
            Some(report_id),
        )?;
    }
    Ok(())
}

fn insert(
    conn: &mut DbConn,
    (recipient_id, from_id): (i64, i64),
    kind: &str,
    status_id: Option<i64>,
    report_id: Option<i64>,
) -> Result<(), Error> {
    if recipient_id == from_id {
        return Ok(());
    }
    let local = accounts::by_id(conn, recipient_id)?.is_some_and(|a| a.is_local() && !a.is_group());
    if !local || super::blocks::silences(conn, recipient_id, from_id)? {
        return Ok(());
    }
    notifications::insert(
        conn,
        &Notification {
            id: next_id(),
            account_id: recipient_id,
            from_account_id: from_id,
            kind: kind.to_string(),
            status_id,
            read: false,
            created_at: crate::time::now(),
            report_id,
        },
    )
}
