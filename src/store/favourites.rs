use crate::db::{
    schema::{favourites, statuses},
    DbConn,
};
use crate::error::Error;
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = favourites)]
pub struct Favourite {
    pub id: i64,
    pub account_id: i64,
    pub status_id: i64,
    pub ap_id: Option<String>,
    pub created_at: NaiveDateTime,
}

/// Keep a favourite; false when the account has favourited the status already (or the
/// Like is known), as when two requests for it arrive at once: one statement, so neither
/// fails.
pub fn insert(conn: &mut DbConn, favourite: &Favourite) -> Result<bool, Error> {
    let inserted = crate::on_backend!(conn, |c| diesel::insert_into(favourites::table)
        .values(favourite)
        .on_conflict_do_nothing()
        .execute(c))?;
    Ok(inserted > 0)
}

pub fn between(
    conn: &mut DbConn,
    account_id: i64,
    status_id: i64,
) -> Result<Option<Favourite>, Error> {
    Ok(favourites::table
        .filter(favourites::account_id.eq(account_id))
        .filter(favourites::status_id.eq(status_id))
        .select(Favourite::as_select())
        .first(conn)
        .optional()?)
}

pub fn by_ap_id(conn: &mut DbConn, ap_id: &str) -> Result<Option<Favourite>, Error> {
    Ok(favourites::table
        .filter(favourites::ap_id.eq(ap_id))
        .select(Favourite::as_select())
        .first(conn)
        .optional()?)
}

pub fn delete(conn: &mut DbConn, id: i64) -> Result<(), Error> {
    diesel::delete(favourites::table.find(id)).execute(conn)?;
    Ok(())
}

/// Take back every favourite of `account_id` (its account is closed), counting each out of
/// its post: two statements, however many there are.
pub fn withdraw_all_of(conn: &mut DbConn, account_id: i64) -> Result<(), Error> {
    super::Sql::new(
        "UPDATE statuses SET favourites_count = favourites_count - 1
         WHERE favourites_count > 0
         AND id IN (SELECT status_id FROM favourites WHERE account_id = $1)",
    )
    .int(account_id)
    .execute(conn)?;
    diesel::delete(favourites::table.filter(favourites::account_id.eq(account_id)))
        .execute(conn)?;
    Ok(())
}

/// Recount a status's favourites and boosts.
pub fn refresh_counts(conn: &mut DbConn, status_id: i64) -> Result<(), Error> {
    let favourites: i64 = favourites::table
        .filter(favourites::status_id.eq(status_id))
        .count()
        .get_result(conn)?;
    let reblogs = super::boosts::count_by_people(conn, status_id)?;
    diesel::update(statuses::table.find(status_id))
        .set((
            statuses::favourites_count.eq(favourites as i32),
            statuses::reblogs_count.eq(reblogs as i32),
        ))
        .execute(conn)?;
    Ok(())
}

/// Which of `status_ids` the account has favourited.
pub fn favourited_among(
    conn: &mut DbConn,
    account_id: i64,
    status_ids: &[i64],
) -> Result<std::collections::HashSet<i64>, Error> {
    if status_ids.is_empty() {
        return Ok(Default::default());
    }
    Ok(favourites::table
        .filter(favourites::account_id.eq(account_id))
        .filter(super::one_of(conn, favourites::status_id, status_ids))
        .select(favourites::status_id)
        .load::<i64>(conn)?
        .into_iter()
        .collect())
}

/// Accounts that favourited a status, newest first.
pub fn favouriter_ids(conn: &mut DbConn, status_id: i64, limit: i64) -> Result<Vec<i64>, Error> {
    Ok(favourites::table
        .filter(favourites::status_id.eq(status_id))
        .order(favourites::id.desc())
        .limit(limit)
        .select(favourites::account_id)
        .load(conn)?)
}

/// A page of (favourite id, status id), newest favourite first; keyset on the favourite id.
pub fn page(
    conn: &mut DbConn,
    account_id: i64,
    page: super::statuses::Page,
) -> Result<Vec<(i64, i64)>, Error> {
    let query = favourites::table
        .filter(favourites::account_id.eq(account_id))
        .select((favourites::id, favourites::status_id))
        .into_boxed();
    Ok(load_page!(conn, query, favourites::id, page))
}
