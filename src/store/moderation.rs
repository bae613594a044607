//! Bans, invites, reports and the moderation log of communities.

use crate::db::{
    schema::{community_bans, community_invites, moderation_log, reports},
    DbConn,
};
use crate::domain::LogAction;
use crate::error::Error;
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = community_bans)]
pub struct Ban {
    pub community_id: i64,
    pub account_id: i64,
    pub reason: String,
    pub expires_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

/// Ban `ban.account_id`, replacing an earlier ban (a new reason or expiry).
pub fn insert_ban(conn: &mut DbConn, ban: &Ban) -> Result<(), Error> {
    delete_ban(conn, ban.community_id, ban.account_id)?;
    diesel::insert_into(community_bans::table)
        .values(ban)
        .execute(conn)?;
    Ok(())
}

/// Lift a ban; true if there was one.
pub fn delete_ban(conn: &mut DbConn, community_id: i64, account_id: i64) -> Result<bool, Error> {
    let n = diesel::delete(community_bans::table.find((community_id, account_id))).execute(conn)?;
    Ok(n > 0)
}

/// The ban of `account_id` in force at `now`, if any.
pub fn active_ban(
    conn: &mut DbConn,
    community_id: i64,
    account_id: i64,
    now: NaiveDateTime,
) -> Result<Option<Ban>, Error> {
    Ok(community_bans::table
        .find((community_id, account_id))
        .filter(
            community_bans::expires_at
                .is_null()
                .or(community_bans::expires_at.gt(now)),
        )
        .select(Ban::as_select())
        .first(conn)
        .optional()?)
}

/// Bans in force, newest first.
pub fn bans(conn: &mut DbConn, community_id: i64, now: NaiveDateTime) -> Result<Vec<Ban>, Error> {
    Ok(community_bans::table
        .filter(community_bans::community_id.eq(community_id))
        .filter(
            community_bans::expires_at
                .is_null()
                .or(community_bans::expires_at.gt(now)),
        )
        .order(community_bans::created_at.desc())
        .select(Ban::as_select())
        .load(conn)?)
}

#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = community_invites)]
pub struct Invite {
    pub id: i64,
    pub community_id: i64,
    pub token_hash: String,
    pub created_by: i64,
    pub max_uses: Option<i32>,
    pub uses: i32,
    pub expires_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

pub fn insert_invite(conn: &mut DbConn, invite: &Invite) -> Result<(), Error> {
    diesel::insert_into(community_invites::table)
        .values(invite)
        .execute(conn)?;
    Ok(())
}

pub fn invite_by_hash(conn: &mut DbConn, token_hash: &str) -> Result<Option<Invite>, Error> {
    Ok(community_invites::table
        .filter(community_invites::token_hash.eq(token_hash))
        .select(Invite::as_select())
        .first(conn)
        .optional()?)
}

/// Count one use of an invite, unless it is used up: true if the use was counted. One
/// statement, so two people racing for the last use cannot both get it.
pub fn use_invite(conn: &mut DbConn, id: i64) -> Result<bool, Error> {
    let n = diesel::update(
        community_invites::table.find(id).filter(
            community_invites::max_uses
                .is_null()
                .or(community_invites::max_uses.gt(community_invites::uses.nullable())),
        ),
    )
    .set(community_invites::uses.eq(community_invites::uses + 1))
    .execute(conn)?;
    Ok(n > 0)
}

pub fn invites(conn: &mut DbConn, community_id: i64) -> Result<Vec<Invite>, Error> {
    Ok(community_invites::table
        .filter(community_invites::community_id.eq(community_id))
        .order(community_invites::id.desc())
        .select(Invite::as_select())
        .load(conn)?)
}

pub fn delete_invite(conn: &mut DbConn, community_id: i64, id: i64) -> Result<bool, Error> {
    let n = diesel::delete(
        community_invites::table
            .find(id)
            .filter(community_invites::community_id.eq(community_id)),
    )
    .execute(conn)?;
    Ok(n > 0)
}

#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = reports)]
pub struct Report {
    pub id: i64,
    pub community_id: i64,
    pub reporter_id: i64,
    pub target_account_id: i64,
    pub status_id: Option<i64>,
    pub comment: String,
    pub ap_id: Option<String>,
    pub resolved_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    /// The administrator who took the report on.
    pub assigned_account_id: Option<i64>,
    /// Who resolved it: a moderator of its community or an administrator.
    pub resolved_by_id: Option<i64>,
}

pub fn insert_report(conn: &mut DbConn, report: &Report) -> Result<(), Error> {
    diesel::insert_into(reports::table)
        .values(report)
        .execute(conn)?;
    Ok(())
}

pub fn reports_by_ids(conn: &mut DbConn, ids: &[i64]) -> Result<Vec<Report>, Error> {
    Ok(reports::table
        .filter(reports::id.eq_any(ids))
        .select(Report::as_select())
        .load(conn)?)
}

pub fn report_by_ap_id(conn: &mut DbConn, ap_id: &str) -> Result<Option<Report>, Error> {
    Ok(reports::table
        .filter(reports::ap_id.eq(ap_id))
        .select(Report::as_select())
        .first(conn)
        .optional()?)
}

/// A community's reports, newest first; unresolved only unless `all`.
pub fn reports(
    conn: &mut DbConn,
    community_id: i64,
    all: bool,
    before_id: Option<i64>,
    limit: i64,
) -> Result<Vec<Report>, Error> {
    let mut query = reports::table
        .filter(reports::community_id.eq(community_id))
        .order(reports::id.desc())
        .limit(limit)
        .select(Report::as_select())
        .into_boxed();
    if !all {
        query = query.filter(reports::resolved_at.is_null());
    }
    if let Some(before) = before_id {
        query = query.filter(reports::id.lt(before));
    }
    Ok(query.load(conn)?)
}

/// Mark report `id` resolved by `by`.
pub fn resolve_report(
    conn: &mut DbConn,
    id: i64,
    by: i64,
    now: NaiveDateTime,
) -> Result<(), Error> {
    diesel::update(reports::table.find(id))
        .set((reports::resolved_at.eq(now), reports::resolved_by_id.eq(by)))
        .execute(conn)?;
    Ok(())
}

/// Open report `id` again.
pub fn reopen_report(conn: &mut DbConn, id: i64) -> Result<(), Error> {
    diesel::update(reports::table.find(id))
        .set((
            reports::resolved_at.eq(None::<NaiveDateTime>),
            reports::resolved_by_id.eq(None::<i64>),
        ))
        .execute(conn)?;
    Ok(())
}

/// Give report `id` to an administrator, or to nobody.
pub fn assign_report(conn: &mut DbConn, id: i64, to: Option<i64>) -> Result<(), Error> {
    diesel::update(reports::table.find(id))
        .set(reports::assigned_account_id.eq(to))
        .execute(conn)?;
    Ok(())
}

/// Reports of every community, newest first, for administrators: resolved or open, and
/// optionally by reporter or about an account.
pub fn all_reports(
    conn: &mut DbConn,
    resolved: bool,
    reporter_id: Option<i64>,
    target_id: Option<i64>,
    page: crate::store::statuses::Page,
) -> Result<Vec<(i64, Report)>, Error> {
    let mut query = reports::table
        .select((reports::id, Report::as_select()))
        .into_boxed();
    query = match resolved {
        true => query.filter(reports::resolved_at.is_not_null()),
        false => query.filter(reports::resolved_at.is_null()),
    };
    if let Some(reporter) = reporter_id {
        query = query.filter(reports::reporter_id.eq(reporter));
    }
    if let Some(target) = target_id {
        query = query.filter(reports::target_account_id.eq(target));
    }
    Ok(load_page!(conn, query, reports::id, page))
}

#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = moderation_log)]
pub struct LogEntry {
    pub id: i64,
    pub community_id: i64,
    pub moderator_id: Option<i64>,
    pub action: LogAction,
    pub target_account_id: Option<i64>,
    pub target_status_id: Option<i64>,
    pub reason: String,
    pub expires_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

impl LogEntry {
    /// An entry for `action` by `moderator_id` now, with no target yet.
    pub fn new(community_id: i64, moderator_id: Option<i64>, action: LogAction) -> LogEntry {
        LogEntry {
            id: crate::ids::next_id(),
            community_id,
            moderator_id,
            action,
            target_account_id: None,
            target_status_id: None,
            reason: String::new(),
            expires_at: None,
            created_at: crate::time::now(),
        }
    }
}

impl super::Keyed for LogEntry {
    fn cursor(&self) -> i64 {
        self.id
    }
}

pub fn insert_log(conn: &mut DbConn, entry: &LogEntry) -> Result<(), Error> {
    diesel::insert_into(moderation_log::table)
        .values(entry)
        .execute(conn)?;
    Ok(())
}

/// A page of a community's moderation log, newest first (keyset on id).
pub fn log(
    conn: &mut DbConn,
    community_id: i64,
    page: super::statuses::Page,
) -> Result<Vec<LogEntry>, Error> {
    let query = moderation_log::table
        .filter(moderation_log::community_id.eq(community_id))
        .select(LogEntry::as_select())
        .into_boxed();
    Ok(load_page!(conn, query, moderation_log::id, page))
}
