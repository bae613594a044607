use crate::db::{
    schema::{accounts, follows},
    DbConn,
};
use crate::domain::FollowState;
use crate::error::Error;
use crate::store::home_feed::{self, Source};
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// A follow of a person, or membership of a community.
#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = follows)]
pub struct Follow {
    pub id: i64,
    pub account_id: i64,
    pub target_account_id: i64,
    pub state: FollowState,
    pub ap_id: Option<String>,
    pub created_at: NaiveDateTime,
}

pub fn insert(conn: &mut DbConn, follow: &Follow) -> Result<(), Error> {
    diesel::insert_into(follows::table)
        .values(follow)
        .execute(conn)?;
    if follow.state == FollowState::Accepted {
        home_feed::add(
            conn,
            follow.account_id,
            Source::Account(follow.target_account_id),
        )?;
    }
    Ok(())
}

pub fn between(
    conn: &mut DbConn,
    account_id: i64,
    target_id: i64,
) -> Result<Option<Follow>, Error> {
    Ok(follows::table
        .filter(follows::account_id.eq(account_id))
        .filter(follows::target_account_id.eq(target_id))
        .select(Follow::as_select())
        .first(conn)
        .optional()?)
}

pub fn by_ap_id(conn: &mut DbConn, ap_id: &str) -> Result<Option<Follow>, Error> {
    Ok(follows::table
        .filter(follows::ap_id.eq(ap_id))
        .select(Follow::as_select())
        .first(conn)
        .optional()?)
}

pub fn set_state(conn: &mut DbConn, id: i64, state: FollowState) -> Result<(), Error> {
    let before = by_id(conn, id)?;
    diesel::update(follows::table.find(id))
        .set(follows::state.eq(state))
        .execute(conn)?;
    let Some(before) = before else {
        return Ok(());
    };
    let (was, is) = (
        before.state == FollowState::Accepted,
        state == FollowState::Accepted,
    );
    let source = Source::Account(before.target_account_id);
    match (was, is) {
        (false, true) => home_feed::add(conn, before.account_id, source),
        (true, false) => home_feed::remove(conn, before.account_id, source),
        _ => Ok(()),
    }
}

fn by_id(conn: &mut DbConn, id: i64) -> Result<Option<Follow>, Error> {
    Ok(follows::table
        .find(id)
        .select(Follow::as_select())
        .first(conn)
        .optional()?)
}

pub fn set_ap_id(conn: &mut DbConn, id: i64, ap_id: &str) -> Result<(), Error> {
    diesel::update(follows::table.find(id))
        .set(follows::ap_id.eq(ap_id))
        .execute(conn)?;
    Ok(())
}

pub fn delete(conn: &mut DbConn, id: i64) -> Result<(), Error> {
    let before = by_id(conn, id)?;
    diesel::delete(follows::table.find(id)).execute(conn)?;
    match before {
        Some(follow) if follow.state == FollowState::Accepted => {
            let source = Source::Account(follow.target_account_id);
            home_feed::remove(conn, follow.account_id, source)
        }
        _ => Ok(()),
    }
}

/// Whether an account has an accepted follower on `domain`.
pub fn has_accepted_follower_on(
    conn: &mut DbConn,
    account_id: i64,
    domain: &str,
) -> Result<bool, Error> {
    let count: i64 = follows::table
        .inner_join(accounts::table.on(accounts::id.eq(follows::account_id)))
        .filter(follows::target_account_id.eq(account_id))
        .filter(follows::state.eq(FollowState::Accepted))
        .filter(accounts::domain.eq(domain))
        .count()
        .get_result(conn)?;
    Ok(count > 0)
}

/// Distinct delivery inboxes (shared inbox where known) of an account's remote followers.
pub fn remote_follower_inboxes(conn: &mut DbConn, account_id: i64) -> Result<Vec<String>, Error> {
    let rows: Vec<(String, Option<String>)> = follows::table
        .inner_join(accounts::table.on(accounts::id.eq(follows::account_id)))
        .filter(follows::target_account_id.eq(account_id))
        .filter(follows::state.eq(FollowState::Accepted))
        .filter(accounts::domain.is_not_null())
        .select((accounts::inbox_url, accounts::shared_inbox_url))
        .load(conn)?;
    Ok(delivery_inboxes(rows))
}

/// One inbox per server where it has a shared one, each once.
fn delivery_inboxes(rows: Vec<(String, Option<String>)>) -> Vec<String> {
    let mut inboxes: Vec<String> = rows
        .into_iter()
        .map(|(inbox, shared)| shared.unwrap_or(inbox))
        .collect();
    inboxes.sort();
    inboxes.dedup();
    inboxes
}

/// Delivery inboxes of the remote accounts (people and communities) an account follows.
pub fn remote_followed_inboxes(conn: &mut DbConn, account_id: i64) -> Result<Vec<String>, Error> {
    let rows: Vec<(String, Option<String>)> = follows::table
        .inner_join(accounts::table.on(accounts::id.eq(follows::target_account_id)))
        .filter(follows::account_id.eq(account_id))
        .filter(accounts::domain.is_not_null())
        .select((accounts::inbox_url, accounts::shared_inbox_url))
        .load(conn)?;
    Ok(delivery_inboxes(rows))
}

/// This server's people who follow an account (accepted or waiting).
pub fn local_follower_ids(conn: &mut DbConn, account_id: i64) -> Result<Vec<i64>, Error> {
    Ok(follows::table
        .inner_join(accounts::table.on(accounts::id.eq(follows::account_id)))
        .filter(follows::target_account_id.eq(account_id))
        .filter(accounts::domain.is_null())
        .select(follows::account_id)
        .load(conn)?)
}

/// Whom an account follows (accepted follows), oldest first.
pub fn followed_ids(conn: &mut DbConn, account_id: i64) -> Result<Vec<i64>, Error> {
    Ok(follows::table
        .filter(follows::account_id.eq(account_id))
        .filter(follows::state.eq(FollowState::Accepted))
        .order(follows::id.asc())
        .select(follows::target_account_id)
        .load(conn)?)
}

/// End every follow from or of an account; returns the accounts on the other side.
pub fn remove_all_of(conn: &mut DbConn, account_id: i64) -> Result<Vec<i64>, Error> {
    let mine = follows::account_id
        .eq(account_id)
        .or(follows::target_account_id.eq(account_id));
    let pairs: Vec<(i64, i64)> = follows::table
        .filter(mine)
        .select((follows::account_id, follows::target_account_id))
        .load(conn)?;
    diesel::delete(follows::table.filter(mine)).execute(conn)?;
    let mut others: Vec<i64> = pairs
        .into_iter()
        .map(|(a, b)| if a == account_id { b } else { a })
        .collect();
    others.sort_unstable();
    others.dedup();
    Ok(others)
}

/// Follows of remote accounts still waiting for an answer, asked since `since`.
pub fn pending_remote(conn: &mut DbConn, since: NaiveDateTime) -> Result<Vec<Follow>, Error> {
    Ok(follows::table
        .inner_join(accounts::table.on(accounts::id.eq(follows::target_account_id)))
        .filter(follows::state.eq(FollowState::Pending))
        .filter(follows::ap_id.is_not_null())
        .filter(follows::created_at.ge(since))
        .filter(accounts::domain.is_not_null())
        .select(Follow::as_select())
        .load(conn)?)
}

/// Delivery inboxes of the remote communities an account is a member of.
pub fn remote_community_inboxes(conn: &mut DbConn, account_id: i64) -> Result<Vec<String>, Error> {
    let rows: Vec<(String, Option<String>)> = follows::table
        .inner_join(accounts::table.on(accounts::id.eq(follows::target_account_id)))
        .filter(follows::account_id.eq(account_id))
        .filter(follows::state.eq(FollowState::Accepted))
        .filter(accounts::domain.is_not_null())
        .filter(accounts::kind.eq(crate::domain::AccountKind::Group))
        .select((accounts::inbox_url, accounts::shared_inbox_url))
        .load(conn)?;
    Ok(delivery_inboxes(rows))
}

/// Actor ids on one side of an account's accepted follows, newest first, one page at a time
/// (keyset on follow id): who follows the account when `followers`, else whom it follows.
pub fn page_actor_ids(
    conn: &mut DbConn,
    account_id: i64,
    followers: bool,
    before_id: Option<i64>,
    limit: i64,
) -> Result<Vec<(i64, String)>, Error> {
    let mut query = follows::table
        .filter(follows::state.eq(FollowState::Accepted))
        .order(follows::id.desc())
        .limit(limit)
        .into_boxed();
    query = if followers {
        query.filter(follows::target_account_id.eq(account_id))
    } else {
        query.filter(follows::account_id.eq(account_id))
    };
    if let Some(before) = before_id {
        query = query.filter(follows::id.lt(before));
    }
    let rows: Vec<Follow> = query.select(Follow::as_select()).load(conn)?;
    let other = |f: &Follow| {
        if followers {
            f.account_id
        } else {
            f.target_account_id
        }
    };
    let ids: Vec<i64> = rows.iter().map(other).collect();
    let ap_ids: std::collections::HashMap<i64, String> = accounts::table
        .filter(accounts::id.eq_any(&ids))
        .select((accounts::id, accounts::ap_id))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .collect();
    Ok(rows
        .iter()
        .filter_map(|f| ap_ids.get(&other(f)).map(|ap_id| (f.id, ap_id.clone())))
        .collect())
}

/// Account ids on one side of an account's follows in `state`, newest first, paged by follow
/// id: (follow id, account id). `followers` picks who follows the account.
pub fn page_account_ids(
    conn: &mut DbConn,
    account_id: i64,
    followers: bool,
    state: FollowState,
    page: crate::store::statuses::Page,
) -> Result<Vec<(i64, i64)>, Error> {
    let mut query = follows::table.filter(follows::state.eq(state)).into_boxed();
    query = if followers {
        query.filter(follows::target_account_id.eq(account_id))
    } else {
        query.filter(follows::account_id.eq(account_id))
    };
    if let Some(max) = page.max_id {
        query = query.filter(follows::id.lt(max));
    }
    if let Some(since) = page.since_id.or(page.min_id) {
        query = query.filter(follows::id.gt(since));
    }
    let rows: Vec<Follow> = query
        .order(follows::id.desc())
        .limit(page.limit)
        .select(Follow::as_select())
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|f| {
            (
                f.id,
                if followers {
                    f.account_id
                } else {
                    f.target_account_id
                },
            )
        })
        .collect())
}

/// States of the follows from `account_id` to each of `targets` (`outgoing`), or from each
/// of them to `account_id`: other account id → state, in one query.
pub fn states_among(
    conn: &mut DbConn,
    account_id: i64,
    others: &[i64],
    outgoing: bool,
) -> Result<std::collections::HashMap<i64, FollowState>, Error> {
    let rows: Vec<(i64, FollowState)> = if outgoing {
        follows::table
            .filter(follows::account_id.eq(account_id))
            .filter(follows::target_account_id.eq_any(others))
            .select((follows::target_account_id, follows::state))
            .load(conn)?
    } else {
        follows::table
            .filter(follows::target_account_id.eq(account_id))
            .filter(follows::account_id.eq_any(others))
            .select((follows::account_id, follows::state))
            .load(conn)?
    };
    Ok(rows.into_iter().collect())
}
