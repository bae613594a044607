//! What an account's and a status's counters say: how many posts, when last, how many
//! replies. Kept as each post arrives or goes; recounted only after a bulk load.

use super::{statuses::Status, Sql};
use crate::db::schema::{accounts, statuses};
use crate::db::DbConn;
use crate::domain::Visibility;
use crate::error::Error;
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// Recount a status's replies (direct messages are not counted: see [`count_post`]).
pub fn refresh_replies_count(conn: &mut DbConn, id: i64) -> Result<(), Error> {
    let replies: i64 = statuses::table
        .filter(statuses::in_reply_to_id.eq(id))
        .filter(statuses::deleted_at.is_null())
        .filter(statuses::visibility.ne(Visibility::Direct))
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
    // A direct message is for the people it names alone. Counted into its author's posts,
    // its parent's replies or its thread's activity, it would show everyone else that it
    // exists and when it was written; Mastodon leaves them out too.
    if status.visibility == Visibility::Direct {
        return Ok(());
    }
    count_in_account(conn, status.account_id, added)?;
    // Written in SQL, as `count_in_account` is.
    if added {
        super::thread_activity::note_post(conn, status)?;
        Sql::new(
            "UPDATE accounts SET last_status_at = $1
             WHERE id = $2 AND (last_status_at IS NULL OR last_status_at < $1)",
        )
        .time(status.created_at)
        .int(status.account_id)
        .execute(conn)?;
    }
    let Some(parent) = status.in_reply_to_id else {
        return Ok(());
    };
    let sql = match added {
        true => "UPDATE statuses SET replies_count = replies_count + 1 WHERE id = $1",
        false => {
            "UPDATE statuses SET replies_count = replies_count - 1 WHERE id = $1 AND replies_count > 0"
        }
    };
    Sql::new(sql).int(parent).execute(conn)?;
    Ok(())
}

/// Take `n` posts (or boosts) out of an account's `statuses_count` at once, as
/// [`count_in_account`] takes one: for many going together.
pub fn count_out_of_account(conn: &mut DbConn, account_id: i64, n: i64) -> Result<(), Error> {
    Sql::new(
        "UPDATE accounts SET statuses_count = CASE WHEN statuses_count > $2
         THEN statuses_count - $2 ELSE 0 END WHERE id = $1",
    )
    .int(account_id)
    .int(n)
    .execute(conn)?;
    Ok(())
}

/// Count a post (or boost) stored into its author's `statuses_count`, or one removed out of
/// it. Boosts count as on Mastodon, and as [`refresh_account_counts`] counts them. Written
/// in SQL: diesel prepares its `UPDATE`s afresh each time, and this runs for every post
/// stored, under the database's write lock.
pub fn count_in_account(conn: &mut DbConn, account_id: i64, added: bool) -> Result<(), Error> {
    let sql = match added {
        true => "UPDATE accounts SET statuses_count = statuses_count + 1 WHERE id = $1",
        false => {
            "UPDATE accounts SET statuses_count = statuses_count - 1
             WHERE id = $1 AND statuses_count > 0"
        }
    };
    Sql::new(sql).int(account_id).execute(conn)?;
    Ok(())
}

/// Recount an account's posts and note when it last posted (after a bulk load), direct
/// messages left out as in [`count_post`].
pub fn refresh_account_counts(conn: &mut DbConn, account_id: i64) -> Result<(), Error> {
    let mine = statuses::table
        .filter(statuses::account_id.eq(account_id))
        .filter(statuses::deleted_at.is_null())
        .filter(statuses::visibility.ne(Visibility::Direct));
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
