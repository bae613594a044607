//! Blocking and muting people. A block ends follows both ways and is told to the blocked
//! person's server (as Mastodon does); a mute stays private to the person who mutes.

use crate::config::Config;
use crate::db::DbConn;
use crate::delivery;
use crate::error::Error;
use crate::ids::next_id;
use crate::protocol::activity;
use crate::service::follows;
use crate::store::{accounts::Account, blocks};

fn check_other(me: &Account, target: &Account) -> Result<(), Error> {
    if me.id == target.id {
        return Err(Error::Unprocessable(
            "you cannot block or mute yourself".into(),
        ));
    }
    Ok(())
}

pub fn block(
    conn: &mut DbConn,
    config: &Config,
    me: &Account,
    target: &Account,
) -> Result<(), Error> {
    check_other(me, target)?;
    crate::db::transaction(conn, |conn| {
        if blocks::blocking(conn, me.id, target.id)? {
            return Ok(());
        }
        let id = next_id();
        let ap_id = (!target.is_local()).then(|| activity::activity_id(config, id));
        blocks::insert_block(conn, id, me.id, target.id, ap_id.as_deref())?;
        follows::unfollow(conn, config, me, target)?;
        follows::drop_follow(conn, target, me)?;
        if let Some(ap_id) = ap_id {
            let block = activity::block(&ap_id, &me.ap_id, &target.ap_id);
            delivery::enqueue(conn, config, me, &block, &[target.inbox_url.as_str()])?;
        }
        Ok(())
    })
}

pub fn unblock(
    conn: &mut DbConn,
    config: &Config,
    me: &Account,
    target: &Account,
) -> Result<(), Error> {
    crate::db::transaction(conn, |conn| {
        if let Some(Some(ap_id)) = blocks::delete_block(conn, me.id, target.id)? {
            let block = activity::block(&ap_id, &me.ap_id, &target.ap_id);
            let undo = activity::undo(config, next_id(), &me.ap_id, block);
            delivery::enqueue(conn, config, me, &undo, &[target.inbox_url.as_str()])?;
        }
        Ok(())
    })
}

/// A remote person blocked a local one: follows end both ways, and the block is kept so the
/// local person no longer sees them.
pub fn receive_block(
    conn: &mut DbConn,
    blocker: &Account,
    target: &Account,
    ap_id: &str,
) -> Result<(), Error> {
    crate::db::transaction(conn, |conn| {
        blocks::insert_block(conn, next_id(), blocker.id, target.id, Some(ap_id))?;
        follows::drop_follow(conn, blocker, target)?;
        follows::drop_follow(conn, target, blocker)
    })
}

pub fn receive_unblock(
    conn: &mut DbConn,
    blocker: &Account,
    target: &Account,
) -> Result<(), Error> {
    blocks::delete_block(conn, blocker.id, target.id).map(|_| ())
}

pub fn mute(
    conn: &mut DbConn,
    me: &Account,
    target: &Account,
    notifications: bool,
) -> Result<(), Error> {
    check_other(me, target)?;
    blocks::upsert_mute(conn, next_id(), me.id, target.id, notifications)
}

pub fn unmute(conn: &mut DbConn, me: &Account, target: &Account) -> Result<(), Error> {
    blocks::delete_mute(conn, me.id, target.id)
}

/// Whether `recipient` wants nothing from `from`: blocked, or muted with notifications.
pub fn silences(conn: &mut DbConn, recipient_id: i64, from_id: i64) -> Result<bool, Error> {
    Ok(blocks::blocking(conn, recipient_id, from_id)?
        || blocks::mute(conn, recipient_id, from_id)? == Some(true))
}
