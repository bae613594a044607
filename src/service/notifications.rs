//! Telling local people what happened to them: follows, favourites, boosts and replies.

use crate::db::DbConn;
use crate::domain::NotificationKind;
use crate::error::Error;
use crate::ids::next_id;
use crate::store::{
    accounts,
    notifications::{self, Notification},
};

/// Notify `recipient` of `kind` done by `from`; nothing for remote recipients (their own
/// server notifies them) or for what people do to themselves, except that the end of one's
/// own poll is news.
pub fn notify(
    conn: &mut DbConn,
    recipient_id: i64,
    from_id: i64,
    kind: NotificationKind,
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
            NotificationKind::Report,
            None,
            Some(report_id),
        )?;
    }
    Ok(())
}

/// A person dismisses one notification, or all of them with `None`.
pub fn dismiss(conn: &mut DbConn, account_id: i64, id: Option<i64>) -> Result<(), Error> {
    notifications::dismiss(conn, account_id, id)
}

fn insert(
    conn: &mut DbConn,
    (recipient_id, from_id): (i64, i64),
    kind: NotificationKind,
    status_id: Option<i64>,
    report_id: Option<i64>,
) -> Result<(), Error> {
    if recipient_id == from_id && kind != NotificationKind::Poll {
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
            kind,
            status_id,
            read: false,
            created_at: crate::time::now(),
            report_id,
        },
    )
}
