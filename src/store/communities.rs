use crate::db::{
    schema::{accounts, communities, community_moderators},
    DbConn,
};
use crate::domain::{CommunityVisibility, MembershipPolicy, PostingPolicy};
use crate::error::Error;
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// Settings of a community (a group account).
#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = communities)]
pub struct Community {
    pub account_id: i64,
    pub membership_policy: MembershipPolicy,
    pub posting_policy: PostingPolicy,
    pub visibility: CommunityVisibility,
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
            community_moderators::created_at.eq(crate::time::now()),
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

/// Keep a settings row for a remote community, refreshing where its moderators are listed
/// and whether it is members-only.
pub fn upsert_remote(
    conn: &mut DbConn,
    account_id: i64,
    moderators_url: Option<String>,
    members_only: bool,
) -> Result<(), Error> {
    let visibility = match members_only {
        true => CommunityVisibility::Members,
        false => CommunityVisibility::Public,
    };
    let row = Community {
        account_id,
        membership_policy: MembershipPolicy::Open,
        posting_policy: PostingPolicy::Members,
        visibility,
        rules: "[]".to_string(),
        moderators_url: moderators_url.clone(),
        created_by: None,
        created_at: crate::time::now(),
    };
    // One statement, so that two first contacts at once both succeed.
    crate::on_backend!(conn, |c| diesel::insert_into(communities::table)
        .values(&row)
        .on_conflict(communities::account_id)
        .do_update()
        .set((
            communities::moderators_url.eq(&moderators_url),
            communities::visibility.eq(visibility),
        ))
        .execute(c))?;
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

/// Remove a moderator; true if they were one.
pub fn remove_moderator(
    conn: &mut DbConn,
    community_id: i64,
    account_id: i64,
) -> Result<bool, Error> {
    let n = diesel::delete(community_moderators::table.find((community_id, account_id)))
        .execute(conn)?;
    Ok(n > 0)
}

/// Account ids of a community's moderators, in the order they were appointed.
pub fn moderator_ids(conn: &mut DbConn, community_id: i64) -> Result<Vec<i64>, Error> {
    Ok(community_moderators::table
        .filter(community_moderators::community_id.eq(community_id))
        .order(community_moderators::created_at.asc())
        .select(community_moderators::account_id)
        .load(conn)?)
}

/// (community id, moderator id) of the communities `community_ids`, in the order moderators
/// were appointed; one query.
pub fn moderators_of(conn: &mut DbConn, community_ids: &[i64]) -> Result<Vec<(i64, i64)>, Error> {
    Ok(community_moderators::table
        .filter(community_moderators::community_id.eq_any(community_ids))
        .order(community_moderators::created_at.asc())
        .select((
            community_moderators::community_id,
            community_moderators::account_id,
        ))
        .load(conn)?)
}

/// Replace the known moderators of a remote community with those its collection lists.
pub fn set_moderators(
    conn: &mut DbConn,
    community_id: i64,
    account_ids: &[i64],
) -> Result<(), Error> {
    diesel::delete(
        community_moderators::table.filter(community_moderators::community_id.eq(community_id)),
    )
    .execute(conn)?;
    for id in account_ids {
        add_moderator(conn, community_id, *id)?;
    }
    Ok(())
}

/// What moderators may change about a community's settings; `None` keeps a value.
#[derive(AsChangeset, Default)]
#[diesel(table_name = communities)]
pub struct SettingsEdit {
    pub membership_policy: Option<MembershipPolicy>,
    pub posting_policy: Option<PostingPolicy>,
    pub visibility: Option<CommunityVisibility>,
    pub rules: Option<String>,
}

pub fn edit(conn: &mut DbConn, account_id: i64, edit: &SettingsEdit) -> Result<(), Error> {
    if edit.membership_policy.is_none()
        && edit.posting_policy.is_none()
        && edit.visibility.is_none()
        && edit.rules.is_none()
    {
        return Ok(()); // diesel refuses an empty SET
    }
    diesel::update(communities::table.find(account_id))
        .set(edit)
        .execute(conn)?;
    Ok(())
}

/// Local communities, most members first, keyset-free because there are few per instance:
/// at most `limit` after skipping `offset` (the directory's paging).
pub fn local_directory(
    conn: &mut DbConn,
    offset: i64,
    limit: i64,
) -> Result<Vec<(super::accounts::Account, Community)>, Error> {
    Ok(accounts::table
        .inner_join(communities::table)
        .filter(accounts::domain.is_null())
        .filter(accounts::suspended.eq(false))
        .order((accounts::followers_count.desc(), accounts::id.asc()))
        .offset(offset)
        .limit(limit)
        .select((
            super::accounts::Account::as_select(),
            Community::as_select(),
        ))
        .load(conn)?)
}
