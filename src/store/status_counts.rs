//! What an account's and a status's counters say: how many posts, when last, how many
//! replies. Kept as each post arrives or goes; recounted only after a bulk load.

use super::statuses::Status;
use crate::db::schema::{accounts, statuses};
use crate::db::DbConn;
use crate::error::Error;
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// Recount a status's replies.
pub fn refresh_replies_count(conn: &mut DbConn, id: i64) -> Result<(), Error> {
    let replies: i64 = statuses::table
        .filter(statuses::in_reply_to_id.eq(id))
        .filter(statuses::deleted_at.is_null())
        .count()
        .get_result(conn)?;
    diesel::update(statuses::table.find(id))
        .set(statuses::replies_count.eq(replies as i32))
        .execute(conn)?;
    Ok(())
}

/// Count a new post into its author's posts (and when they last posted), its parent's
/// replies and its thread's activity, or a deleted one out. No recount: that reads every post of the author and every
/// reply of the parent, each time one more arrives.
pub fn count_post(conn: &mut DbConn, status: &Status, added: bool) -> Result<(), Error> {
    let author = accounts::table.find(status.account_id);
    if added {
        super::thread_activity::note_post(conn, status)?;
        diesel::update(author)
            .set(accounts::statuses_count.eq(accounts::statuses_count + 1))
            .execute(conn)?;
        let later = accounts::last_status_at
            .is_null()
            .or(accounts::last_status_at.lt(status.created_at));
        diesel::update(author.filter(later))
            .set(accounts::last_status_at.eq(status.created_at))
            .execute(conn)?;
    } else {
        diesel::update(author.filter(accounts::statuses_count.gt(0)))
            .set(accounts::statuses_count.eq(accounts::statuses_count - 1))
            .execute(conn)?;
    }
    let Some(parent) = status.in_reply_to_id else {
        return Ok(());
    };
    let parent = statuses::table.find(parent);
    match added {
        true => diesel::update(parent)
            .set(statuses::replies_count.eq(statuses::replies_count + 1))
            .execute(conn)?,
        false => diesel::update(parent.filter(statuses::replies_count.gt(0)))
            .set(statuses::replies_count.eq(statuses::replies_count - 1))
            .execute(conn)?,
    };
    Ok(())
}

/// Recount an account's posts and note when it last posted (after a bulk load).
pub fn refresh_account_counts(conn: &mut DbConn, account_id: i64) -> Result<(), Error> {
    let mine = statuses::table
        .filter(statuses::account_id.eq(account_id))
        .filter(statuses::deleted_at.is_null());
    let count: i64 = mine.count().get_result(conn)?;
    let last: Option<NaiveDateTime> = mine
        .select(diesel::dsl::max(statuses::created_at))
        .first(conn)?;
    diesel::update(accounts::table.find(account_id))
        .set((
            accounts::statuses_count.eq(count as i32),
            accounts::last_status_at.eq(last),
        ))
        .execute(conn)?;
    Ok(())
}
