//! Telling local people what happened to them: follows, favourites, boosts and replies.

use crate::db::DbConn;
use crate::error::Error;
use crate::ids::next_id;
use crate::store::{
    self, accounts,
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

/// Notify `recipient` of `kind` done by `from`; nothing for remote recipients (their own
/// server notifies them) or for what people do to themselves.
pub fn notify(
    conn: &mut DbConn,
    recipient_id: i64,
    from_id: i64,
    kind: &str,
    status_id: Option<i64>,
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
            created_at: store::now(),
        },
    )
}
