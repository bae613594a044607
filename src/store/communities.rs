use crate::db::{
    schema::{accounts, communities, community_moderators},
    DbConn,
};
use crate::error::Error;
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// Settings of a community (a group account).
#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = communities)]
pub struct Community {
    pub account_id: i64,
    pub membership_policy: String,
    pub posting_policy: String,
    pub visibility: String,
    pub rules: String,
    pub moderators_url: Option<String>,
    pub created_by: Option<i64>,
    pub created_at: NaiveDateTime,
}

pub fn insert(conn: &mut DbConn, community: &Community) -> Result<(), Error> {
    diesel::insert_into(communities::table)
        .values(community)
        .execute(conn)?;
    Ok(())
}

pub fn by_account(conn: &mut DbConn, account_id: i64) -> Result<Option<Community>, Error> {
    Ok(communities::table
        .find(account_id)
        .select(Community::as_select())
        .first(conn)
        .optional()?)
}

pub fn add_moderator(conn: &mut DbConn, community_id: i64, account_id: i64) -> Result<(), Error> {
    diesel::insert_into(community_moderators::table)
        .values((
            community_moderators::community_id.eq(community_id),
            community_moderators::account_id.eq(account_id),
            community_moderators::created_at.eq(super::now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Actor ids of a community's moderators, in the order they were appointed.
pub fn moderator_ap_ids(conn: &mut DbConn, community_id: i64) -> Result<Vec<String>, Error> {
    Ok(community_moderators::table
        .inner_join(accounts::table.on(accounts::id.eq(community_moderators::account_id)))
        .filter(community_moderators::community_id.eq(community_id))
        .order(community_moderators::created_at.asc())
        .select(accounts::ap_id)
        .load(conn)?)
}

/// Keep a settings row for a remote community, refreshing where its moderators are listed.
pub fn upsert_remote(
    conn: &mut DbConn,
    account_id: i64,
    moderators_url: Option<String>,
) -> Result<(), Error> {
    if by_account(conn, account_id)?.is_some() {
        diesel::update(communities::table.find(account_id))
            .set(communities::moderators_url.eq(moderators_url))
            .execute(conn)?;
    } else {
        insert(
            conn,
            &Community {
                account_id,
                membership_policy: "open".to_string(),
                posting_policy: "members".to_string(),
                visibility: "public".to_string(),
                rules: "[]".to_string(),
                moderators_url,
                created_by: None,
                created_at: super::now(),
            },
        )?;
    }
    Ok(())
}

pub fn is_moderator(conn: &mut DbConn, community_id: i64, account_id: i64) -> Result<bool, Error> {
    let count: i64 = community_moderators::table
        .filter(community_moderators::community_id.eq(community_id))
        .filter(community_moderators::account_id.eq(account_id))
        .count()
        .get_result(conn)?;
    Ok(count > 0)
}
