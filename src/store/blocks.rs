//! Blocks and mutes between accounts.

use crate::db::{
    schema::{blocks, mutes},
    DbConn,
};
use crate::error::Error;
use crate::store::statuses::Page;
use diesel::prelude::*;
use std::collections::{HashMap, HashSet};

pub fn insert_block(
    conn: &mut DbConn,
    id: i64,
    account_id: i64,
    target_id: i64,
    ap_id: Option<&str>,
) -> Result<(), Error> {
    if blocking(conn, account_id, target_id)? {
        return Ok(());
    }
    diesel::insert_into(blocks::table)
        .values((
            blocks::id.eq(id),
            blocks::account_id.eq(account_id),
            blocks::target_account_id.eq(target_id),
            blocks::ap_id.eq(ap_id),
            blocks::created_at.eq(crate::time::now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Remove a block; its activity id, if it had one, so that it can be undone.
pub fn delete_block(
    conn: &mut DbConn,
    account_id: i64,
    target_id: i64,
) -> Result<Option<Option<String>>, Error> {
    let existing: Option<Option<String>> = blocks::table
        .filter(blocks::account_id.eq(account_id))
        .filter(blocks::target_account_id.eq(target_id))
        .select(blocks::ap_id)
        .first(conn)
        .optional()?;
    diesel::delete(
        blocks::table
            .filter(blocks::account_id.eq(account_id))
            .filter(blocks::target_account_id.eq(target_id)),
    )
    .execute(conn)?;
    Ok(existing)
}

pub fn blocking(conn: &mut DbConn, account_id: i64, target_id: i64) -> Result<bool, Error> {
    Ok(blocked_among(conn, account_id, &[target_id])?.contains(&target_id))
}

/// Which of `targets` `account_id` blocks.
pub fn blocked_among(
    conn: &mut DbConn,
    account_id: i64,
    targets: &[i64],
) -> Result<HashSet<i64>, Error> {
    if targets.is_empty() {
        return Ok(HashSet::new());
    }
    Ok(blocks::table
        .filter(blocks::account_id.eq(account_id))
        .filter(super::one_of_keys(conn, blocks::target_account_id, targets))
        .select(blocks::target_account_id)
        .load::<i64>(conn)?
        .into_iter()
        .collect())
}

/// Whom `viewer` should not see in lists: accounts they block (and mute, with `mutes`), and
/// accounts that block them.
pub fn hidden_from(conn: &mut DbConn, viewer_id: i64, mutes: bool) -> Result<Vec<i64>, Error> {
    let mut ids: Vec<i64> = blocks::table
        .filter(blocks::account_id.eq(viewer_id))
        .select(blocks::target_account_id)
        .load(conn)?;
    ids.extend(
        blocks::table
            .filter(blocks::target_account_id.eq(viewer_id))
            .select(blocks::account_id)
            .load::<i64>(conn)?,
    );
    if mutes {
        ids.extend(
            mutes::table
                .filter(mutes::account_id.eq(viewer_id))
                .select(mutes::target_account_id)
                .load::<i64>(conn)?,
        );
    }
    Ok(ids)
}

/// Which of `viewers` should not see `authors` in lists, as [`hidden_from`] decides for one
/// viewer: those blocking or muting one of them, or blocked by one (three queries for all).
pub fn hiding(conn: &mut DbConn, viewers: &[i64], authors: &[i64]) -> Result<HashSet<i64>, Error> {
    let mut hiding: HashSet<i64> = blocks::table
        .filter(super::one_of_keys(conn, blocks::account_id, viewers))
        .filter(super::one_of_keys(conn, blocks::target_account_id, authors))
        .select(blocks::account_id)
        .load::<i64>(conn)?
        .into_iter()
        .collect();
    hiding.extend(
        blocks::table
            .filter(super::one_of_keys(conn, blocks::account_id, authors))
            .filter(super::one_of_keys(conn, blocks::target_account_id, viewers))
            .select(blocks::target_account_id)
            .load::<i64>(conn)?,
    );
    hiding.extend(
        mutes::table
            .filter(super::one_of_keys(conn, mutes::account_id, viewers))
            .filter(super::one_of_keys(conn, mutes::target_account_id, authors))
            .select(mutes::account_id)
            .load::<i64>(conn)?,
    );
    Ok(hiding)
}

/// Set a mute (or change whether it covers notifications).
pub fn upsert_mute(
    conn: &mut DbConn,
    id: i64,
    account_id: i64,
    target_id: i64,
    notifications: bool,
) -> Result<(), Error> {
    delete_mute(conn, account_id, target_id)?;
    diesel::insert_into(mutes::table)
        .values((
            mutes::id.eq(id),
            mutes::account_id.eq(account_id),
            mutes::target_account_id.eq(target_id),
            mutes::notifications.eq(notifications),
            mutes::created_at.eq(crate::time::now()),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn delete_mute(conn: &mut DbConn, account_id: i64, target_id: i64) -> Result<(), Error> {
    diesel::delete(
        mutes::table
            .filter(mutes::account_id.eq(account_id))
            .filter(mutes::target_account_id.eq(target_id)),
    )
    .execute(conn)?;
    Ok(())
}

/// Whether `account_id` mutes `target_id`, and if so whether notifications too.
pub fn mute(conn: &mut DbConn, account_id: i64, target_id: i64) -> Result<Option<bool>, Error> {
    Ok(mutes::table
        .filter(mutes::account_id.eq(account_id))
        .filter(mutes::target_account_id.eq(target_id))
        .select(mutes::notifications)
        .first(conn)
        .optional()?)
}

/// A page of (block id, blocked account id), newest first.
pub fn blocks_page(
    conn: &mut DbConn,
    account_id: i64,
    page: Page,
) -> Result<Vec<(i64, i64)>, Error> {
    let query = blocks::table
        .filter(blocks::account_id.eq(account_id))
        .select((blocks::id, blocks::target_account_id))
        .into_boxed();
    Ok(load_page!(conn, query, blocks::id, page))
}

/// A page of (mute id, muted account id), newest first.
pub fn mutes_page(
    conn: &mut DbConn,
    account_id: i64,
    page: Page,
) -> Result<Vec<(i64, i64)>, Error> {
    let query = mutes::table
        .filter(mutes::account_id.eq(account_id))
        .select((mutes::id, mutes::target_account_id))
        .into_boxed();
    Ok(load_page!(conn, query, mutes::id, page))
}

/// Among `others`: whom `account_id` blocks, and who blocks `account_id`.
pub fn blocks_among(
    conn: &mut DbConn,
    account_id: i64,
    others: &[i64],
) -> Result<(HashSet<i64>, HashSet<i64>), Error> {
    let rows: Vec<(i64, i64)> = blocks::table
        .filter(
            blocks::account_id
                .eq(account_id)
                .and(super::one_of(conn, blocks::target_account_id, others))
                .or(blocks::target_account_id.eq(account_id).and(super::one_of(
                    conn,
                    blocks::account_id,
                    others,
                ))),
        )
        .select((blocks::account_id, blocks::target_account_id))
        .load(conn)?;
    let blocking = rows
        .iter()
        .filter(|(a, _)| *a == account_id)
        .map(|(_, t)| *t);
    let blocked_by = rows
        .iter()
        .filter(|(_, t)| *t == account_id)
        .map(|(a, _)| *a);
    Ok((blocking.collect(), blocked_by.collect()))
}

/// Among `others`: whom `account_id` mutes → whether notifications too.
pub fn mutes_among(
    conn: &mut DbConn,
    account_id: i64,
    others: &[i64],
) -> Result<HashMap<i64, bool>, Error> {
    let rows: Vec<(i64, bool)> = mutes::table
        .filter(mutes::account_id.eq(account_id))
        .filter(super::one_of(conn, mutes::target_account_id, others))
        .select((mutes::target_account_id, mutes::notifications))
        .load(conn)?;
    Ok(rows.into_iter().collect())
}

/// Whom an account blocks, oldest first.
pub fn blocked_ids(conn: &mut DbConn, account_id: i64) -> Result<Vec<i64>, Error> {
    Ok(blocks::table
        .filter(blocks::account_id.eq(account_id))
        .order(blocks::id.asc())
        .select(blocks::target_account_id)
        .load(conn)?)
}

/// Whom an account mutes, and whether their notifications are muted too, oldest first.
pub fn muted(conn: &mut DbConn, account_id: i64) -> Result<Vec<(i64, bool)>, Error> {
    Ok(mutes::table
        .filter(mutes::account_id.eq(account_id))
        .order(mutes::id.asc())
        .select((mutes::target_account_id, mutes::notifications))
        .load(conn)?)
}
