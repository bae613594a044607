use crate::db::{
    schema::{accounts, statuses},
    DbConn,
};
use crate::error::Error;
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// Visibility as stored in `statuses.visibility`.
pub const PUBLIC: &str = "public";
pub const UNLISTED: &str = "unlisted";
pub const PRIVATE: &str = "private";
pub const DIRECT: &str = "direct";

/// A post, reply or boost.
#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = statuses)]
pub struct Status {
    pub id: i64,
    pub account_id: i64,
    pub community_id: Option<i64>,
    pub in_reply_to_id: Option<i64>,
    pub in_reply_to_account_id: Option<i64>,
    pub thread_root_id: Option<i64>,
    pub reblog_of_id: Option<i64>,
    pub ap_id: String,
    pub url: Option<String>,
    pub title: Option<String>,
    pub source: String,
    pub content: String,
    pub spoiler_text: String,
    pub sensitive: bool,
    pub visibility: String,
    pub language: Option<String>,
    pub local: bool,
    pub replies_count: i32,
    pub reblogs_count: i32,
    pub favourites_count: i32,
    pub created_at: NaiveDateTime,
    pub edited_at: Option<NaiveDateTime>,
    pub deleted_at: Option<NaiveDateTime>,
}

/// What an edit may change.
#[derive(AsChangeset)]
#[diesel(table_name = statuses, treat_none_as_null = true)]
pub struct StatusEdit {
    pub title: Option<String>,
    pub source: String,
    pub content: String,
    pub spoiler_text: String,
    pub sensitive: bool,
    pub edited_at: Option<NaiveDateTime>,
}

pub fn insert(conn: &mut DbConn, status: &Status) -> Result<(), Error> {
    diesel::insert_into(statuses::table)
        .values(status)
        .execute(conn)?;
    Ok(())
}

pub fn by_id(conn: &mut DbConn, id: i64) -> Result<Option<Status>, Error> {
    Ok(statuses::table
        .find(id)
        .select(Status::as_select())
        .first(conn)
        .optional()?)
}

pub fn by_ap_id(conn: &mut DbConn, ap_id: &str) -> Result<Option<Status>, Error> {
    Ok(statuses::table
        .filter(statuses::ap_id.eq(ap_id))
        .select(Status::as_select())
        .first(conn)
        .optional()?)
}

pub fn edit(conn: &mut DbConn, id: i64, edit: &StatusEdit) -> Result<(), Error> {
    diesel::update(statuses::table.find(id))
        .set(edit)
        .execute(conn)?;
    Ok(())
}

/// Keep a deleted status as a tombstone: its id stays known so late copies are refused.
pub fn mark_deleted(conn: &mut DbConn, id: i64, now: NaiveDateTime) -> Result<(), Error> {
    diesel::update(statuses::table.find(id))
        .set((
            statuses::deleted_at.eq(now),
            statuses::content.eq(""),
            statuses::source.eq(""),
            statuses::title.eq(None::<String>),
        ))
        .execute(conn)?;
    Ok(())
}

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

/// Recount an account's posts and note when it last posted.
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

/// A page of public and unlisted statuses, newest first (keyset on id): those of an account
/// (boosts included), or those in a community when `in_community`.
pub fn public_page(
    conn: &mut DbConn,
    account_id: i64,
    in_community: bool,
    before_id: Option<i64>,
    limit: i64,
) -> Result<Vec<Status>, Error> {
    let mut query = statuses::table
        .filter(statuses::deleted_at.is_null())
        .filter(statuses::visibility.eq_any([PUBLIC, UNLISTED]))
        .order(statuses::id.desc())
        .limit(limit)
        .select(Status::as_select())
        .into_boxed();
    query = if in_community {
        query.filter(statuses::community_id.eq(account_id))
    } else {
        query.filter(statuses::account_id.eq(account_id))
    };
    if let Some(before) = before_id {
        query = query.filter(statuses::id.lt(before));
    }
    Ok(query.load(conn)?)
}

/// Public and unlisted statuses of an account, or in a community.
pub fn public_count(conn: &mut DbConn, account_id: i64, in_community: bool) -> Result<i64, Error> {
    let query = statuses::table
        .filter(statuses::deleted_at.is_null())
        .filter(statuses::visibility.eq_any([PUBLIC, UNLISTED]))
        .into_boxed();
    let query = if in_community {
        query.filter(statuses::community_id.eq(account_id))
    } else {
        query.filter(statuses::account_id.eq(account_id))
    };
    Ok(query.count().get_result(conn)?)
}

/// Actor ids of the statuses boosted by `boosts`, by boosted status id.
pub fn ap_ids_of_statuses(conn: &mut DbConn, ids: &[i64]) -> Result<Vec<(i64, String)>, Error> {
    Ok(statuses::table
        .filter(statuses::id.eq_any(ids))
        .select((statuses::id, statuses::ap_id))
        .load(conn)?)
}

/// An account's boost of a status, if it has one.
pub fn reblog_by(
    conn: &mut DbConn,
    account_id: i64,
    status_id: i64,
) -> Result<Option<Status>, Error> {
    Ok(statuses::table
        .filter(statuses::account_id.eq(account_id))
        .filter(statuses::reblog_of_id.eq(status_id))
        .filter(statuses::deleted_at.is_null())
        .select(Status::as_select())
        .first(conn)
        .optional()?)
}

/// Boosts are rows of their own; undoing one removes it.
pub fn delete_row(conn: &mut DbConn, id: i64) -> Result<(), Error> {
    diesel::delete(statuses::table.find(id)).execute(conn)?;
    Ok(())
}
