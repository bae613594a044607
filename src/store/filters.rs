//! Keyword filters and their keywords.

use crate::db::{
    schema::{filter_keywords, filters},
    DbConn,
};
use crate::error::Error;
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Clone, Debug, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = filters, treat_none_as_null = true)]
pub struct Filter {
    pub id: i64,
    pub account_id: i64,
    pub title: String,
    /// JSON array of contexts: home, notifications, public, thread, account.
    pub context: String,
    pub filter_action: String,
    pub expires_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = filter_keywords)]
pub struct Keyword {
    pub id: i64,
    pub filter_id: i64,
    pub keyword: String,
    pub whole_word: bool,
}

pub fn insert(conn: &mut DbConn, filter: &Filter) -> Result<(), Error> {
    diesel::insert_into(filters::table)
        .values(filter)
        .execute(conn)?;
    Ok(())
}

pub fn update(conn: &mut DbConn, filter: &Filter) -> Result<(), Error> {
    diesel::update(filters::table.find(filter.id))
        .set(filter)
        .execute(conn)?;
    Ok(())
}

pub fn delete(conn: &mut DbConn, id: i64) -> Result<(), Error> {
    diesel::delete(filters::table.find(id)).execute(conn)?;
    Ok(())
}

/// The filter `id` if `account_id` owns it.
pub fn owned(conn: &mut DbConn, account_id: i64, id: i64) -> Result<Option<Filter>, Error> {
    Ok(filters::table
        .find(id)
        .filter(filters::account_id.eq(account_id))
        .select(Filter::as_select())
        .first(conn)
        .optional()?)
}

/// The filters of `account_ids`, oldest first; only those in force at `now` if given.
pub fn of_accounts(
    conn: &mut DbConn,
    account_ids: &[i64],
    now: Option<NaiveDateTime>,
) -> Result<Vec<Filter>, Error> {
    let mut query = filters::table
        .filter(super::one_of_keys(conn, filters::account_id, account_ids))
        .order(filters::id.asc())
        .select(Filter::as_select())
        .into_boxed();
    if let Some(now) = now {
        query = query.filter(
            filters::expires_at
                .is_null()
                .or(filters::expires_at.gt(now)),
        );
    }
    Ok(query.load(conn)?)
}

pub fn keywords_of(conn: &mut DbConn, filter_ids: &[i64]) -> Result<Vec<Keyword>, Error> {
    Ok(filter_keywords::table
        .filter(filter_keywords::filter_id.eq_any(filter_ids))
        .order(filter_keywords::id.asc())
        .select(Keyword::as_select())
        .load(conn)?)
}

pub fn insert_keyword(conn: &mut DbConn, keyword: &Keyword) -> Result<(), Error> {
    diesel::insert_into(filter_keywords::table)
        .values(keyword)
        .execute(conn)?;
    Ok(())
}

pub fn keyword(conn: &mut DbConn, id: i64) -> Result<Option<Keyword>, Error> {
    Ok(filter_keywords::table
        .find(id)
        .select(Keyword::as_select())
        .first(conn)
        .optional()?)
}

pub fn update_keyword(conn: &mut DbConn, keyword: &Keyword) -> Result<(), Error> {
    diesel::update(filter_keywords::table.find(keyword.id))
        .set((
            filter_keywords::keyword.eq(&keyword.keyword),
            filter_keywords::whole_word.eq(keyword.whole_word),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn delete_keyword(conn: &mut DbConn, id: i64) -> Result<(), Error> {
    diesel::delete(filter_keywords::table.find(id)).execute(conn)?;
    Ok(())
}
