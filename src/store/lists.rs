//! A person's lists of accounts and their timelines.

use crate::db::{
    schema::{list_accounts, lists, statuses},
    DbConn,
};
use crate::domain::Visibility;
use crate::error::Error;
use crate::store::statuses::{Page, Status};
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = lists)]
pub struct List {
    pub id: i64,
    pub account_id: i64,
    pub title: String,
    pub replies_policy: String,
    pub exclusive: bool,
    pub created_at: NaiveDateTime,
}

pub fn insert(conn: &mut DbConn, list: &List) -> Result<(), Error> {
    diesel::insert_into(lists::table)
        .values(list)
        .execute(conn)?;
    Ok(())
}

/// The list `id` if `account_id` owns it.
pub fn owned(conn: &mut DbConn, account_id: i64, id: i64) -> Result<Option<List>, Error> {
    Ok(lists::table
        .find(id)
        .filter(lists::account_id.eq(account_id))
        .select(List::as_select())
        .first(conn)
        .optional()?)
}

pub fn of_account(conn: &mut DbConn, account_id: i64) -> Result<Vec<List>, Error> {
    Ok(lists::table
        .filter(lists::account_id.eq(account_id))
        .order(lists::id.asc())
        .select(List::as_select())
        .load(conn)?)
}

/// `owner`'s lists that contain `member`.
pub fn containing(conn: &mut DbConn, owner: i64, member: i64) -> Result<Vec<List>, Error> {
    let with_member = list_accounts::table
        .filter(list_accounts::account_id.eq(member))
        .select(list_accounts::list_id);
    Ok(lists::table
        .filter(lists::account_id.eq(owner))
        .filter(lists::id.eq_any(with_member))
        .order(lists::id.asc())
        .select(List::as_select())
        .load(conn)?)
}

pub fn update(conn: &mut DbConn, list: &List) -> Result<(), Error> {
    diesel::update(lists::table.find(list.id))
        .set((
            lists::title.eq(&list.title),
            lists::replies_policy.eq(&list.replies_policy),
            lists::exclusive.eq(list.exclusive),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn delete(conn: &mut DbConn, id: i64) -> Result<(), Error> {
    diesel::delete(lists::table.find(id)).execute(conn)?;
    Ok(())
}

pub fn add_members(conn: &mut DbConn, list_id: i64, account_ids: &[i64]) -> Result<(), Error> {
    let mut present = member_ids(conn, list_id)?;
    for id in account_ids {
        if present.contains(id) {
            continue; // already there, or named twice
        }
        present.push(*id);
        diesel::insert_into(list_accounts::table)
            .values((
                list_accounts::list_id.eq(list_id),
                list_accounts::account_id.eq(id),
            ))
            .execute(conn)?;
    }
    Ok(())
}

pub fn remove_members(conn: &mut DbConn, list_id: i64, account_ids: &[i64]) -> Result<(), Error> {
    diesel::delete(
        list_accounts::table
            .filter(list_accounts::list_id.eq(list_id))
            .filter(list_accounts::account_id.eq_any(account_ids)),
    )
    .execute(conn)?;
    Ok(())
}

/// Take `member` out of every list of `owner` (when `owner` stops following them).
pub fn remove_everywhere(conn: &mut DbConn, owner: i64, member: i64) -> Result<(), Error> {
    let owned = lists::table
        .filter(lists::account_id.eq(owner))
        .select(lists::id);
    diesel::delete(
        list_accounts::table
            .filter(list_accounts::account_id.eq(member))
            .filter(list_accounts::list_id.eq_any(owned)),
    )
    .execute(conn)?;
    Ok(())
}

pub fn member_ids(conn: &mut DbConn, list_id: i64) -> Result<Vec<i64>, Error> {
    Ok(list_accounts::table
        .filter(list_accounts::list_id.eq(list_id))
        .select(list_accounts::account_id)
        .load(conn)?)
}

/// Statuses by the list's members (boosts included, direct ones left out), newest first.
pub fn timeline(conn: &mut DbConn, list_id: i64, page: Page) -> Result<Vec<Status>, Error> {
    let members: Vec<i64> = list_accounts::table
        .filter(list_accounts::list_id.eq(list_id))
        .select(list_accounts::account_id)
        .load(conn)?;
    // Each member's page, read along their own index, then the newest (or, for `min_id`, the
    // oldest) of all: the cost follows the members and the page, not the instance's size, and
    // no planner can choose to walk every post looking for a quiet member's.
    let mut ids = Vec::new();
    for member in members {
        let query = statuses::table
            .filter(statuses::account_id.eq(member))
            .filter(statuses::visibility.ne(Visibility::Direct))
            .filter(statuses::deleted_at.is_null())
            .filter(statuses::removed_at.is_null())
            .select(statuses::id)
            .into_boxed();
        let found: Vec<i64> = load_page!(conn, query, statuses::id, page);
        ids.extend(found);
    }
    match page.min_id {
        Some(_) => ids.sort_unstable(),
        None => ids.sort_unstable_by(|a, b| b.cmp(a)),
    }
    ids.truncate(page.limit.max(0) as usize);
    let rows = crate::store::statuses::by_ids(conn, &ids)?;
    Ok(crate::store::newest_first(rows))
}
