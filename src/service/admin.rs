//! What the instance's administrators do to people through the admin API: look them up,
//! approve or turn away sign-ups, turn logins off, suspend, and change roles. Every function
//! is for an administrator; handlers check that first with [`require_admin`].

use crate::db::DbConn;
use crate::domain::{LogAction, Role};
use crate::error::Error;
use crate::store::{
    accounts::{self as account_store, Account, AdminFilter},
    moderation::{self as moderation_store, Report},
    statuses::Page,
    users::{self as user_store, User},
};
use std::collections::HashMap;

/// 403 unless `user` administers the instance.
pub fn require_admin(user: &User) -> Result<(), Error> {
    match user.role {
        Role::Admin => Ok(()),
        Role::User => Err(Error::Forbidden(
            "only the instance's administrators may do this".into(),
        )),
    }
}

/// An account with its login, when it is a local person's.
pub struct Managed {
    pub account: Account,
    pub user: Option<User>,
}

/// A page of people matching `filter`, newest first, with their logins (one query for all).
pub fn accounts(
    conn: &mut DbConn,
    filter: &AdminFilter,
    page: Page,
) -> Result<Vec<(i64, Managed)>, Error> {
    let rows = account_store::admin_page(conn, filter, page)?;
    let accounts = rows.into_iter().map(|(_, account)| account).collect();
    Ok(with_logins(conn, accounts)?
        .into_iter()
        .map(|m| (m.account.id, m))
        .collect())
}

/// The accounts `ids` with their logins, by id.
pub fn managed_by_ids(conn: &mut DbConn, ids: &[i64]) -> Result<HashMap<i64, Managed>, Error> {
    let accounts = account_store::by_ids(conn, ids)?;
    Ok(with_logins(conn, accounts)?
        .into_iter()
        .map(|m| (m.account.id, m))
        .collect())
}

/// Each account with its login, if it has one: one query for all.
fn with_logins(conn: &mut DbConn, accounts: Vec<Account>) -> Result<Vec<Managed>, Error> {
    let ids: Vec<i64> = accounts.iter().map(|a| a.id).collect();
    let mut users: HashMap<i64, User> = user_store::by_accounts(conn, &ids)?
        .into_iter()
        .map(|u| (u.account_id, u))
        .collect();
    Ok(accounts
        .into_iter()
        .map(|account| {
            let user = users.remove(&account.id);
            Managed { account, user }
        })
        .collect())
}

/// One person, local or remote (not communities or the instance actor).
pub fn account(conn: &mut DbConn, id: i64) -> Result<Managed, Error> {
    let account = account_store::by_id(conn, id)?
        .filter(|a| a.kind == crate::domain::AccountKind::Person)
        .ok_or(Error::NotFound)?;
    let user = user_store::by_account(conn, id)?;
    Ok(Managed { account, user })
}

/// What an administrator may do to an account in one step (Mastodon's account actions).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Nothing to the account; with a report, resolves it.
    Nothing,
    /// The local person may no longer sign in; their posts stay.
    Disable,
    /// The account is shut out: it cannot sign in, its profile is gone from this instance
    /// and, for another server's account, what it sends is refused.
    Suspend,
}

impl Action {
    /// Mastodon's `type`; `silence` and `sensitive` have no counterpart in Guild.
    pub fn parse(name: &str) -> Result<Action, Error> {
        match name {
            "none" => Ok(Action::Nothing),
            "disable" => Ok(Action::Disable),
            "suspend" => Ok(Action::Suspend),
            "silence" | "sensitive" => Err(Error::Unprocessable(format!(
                "Guild does not {name} single accounts; disable or suspend the account, or \
                 set a domain policy for a whole server"
            ))),
            other => Err(Error::Unprocessable(format!(
                "type must be one of none, disable, suspend, not {other:?}"
            ))),
        }
    }
}

/// Take `action` on account `id`, and resolve `report_id` (a report about it) if given.
pub fn act(
    conn: &mut DbConn,
    admin: &Account,
    id: i64,
    action: Action,
    report_id: Option<i64>,
) -> Result<Managed, Error> {
    crate::db::transaction(conn, |conn| {
        let target = account(conn, id)?;
        match action {
            Action::Nothing => {}
            Action::Disable => set_disabled(conn, admin, &target, true)?,
            Action::Suspend => set_suspended(conn, admin, &target, true)?,
        }
        if let Some(report_id) = report_id {
            if report(conn, report_id)?.target_account_id != id {
                return Err(Error::Unprocessable(
                    "the report is about another account".into(),
                ));
            }
            resolve_report(conn, admin, report_id)?;
        }
        account(conn, id)
    })
}

/// Turn a local person's login off or on again.
pub fn set_disabled(
    conn: &mut DbConn,
    admin: &Account,
    target: &Managed,
    disabled: bool,
) -> Result<(), Error> {
    not_oneself(admin, target)?;
    let user = target
        .user
        .as_ref()
        .ok_or_else(|| Error::Unprocessable("only this instance's people have a login".into()))?;
    user_store::set_disabled(conn, user.id, disabled)
}

/// Suspend an account, or lift the suspension.
pub fn set_suspended(
    conn: &mut DbConn,
    admin: &Account,
    target: &Managed,
    suspended: bool,
) -> Result<(), Error> {
    not_oneself(admin, target)?;
    account_store::set_suspended(conn, target.account.id, suspended)
}

/// Make a local person an administrator, or an administrator a person like any other.
pub fn set_role(conn: &mut DbConn, admin: &Account, id: i64, role: Role) -> Result<Managed, Error> {
    let target = account(conn, id)?;
    not_oneself(admin, &target)?;
    let user = target
        .user
        .as_ref()
        .ok_or_else(|| Error::Unprocessable("only this instance's people have a role".into()))?;
    user_store::set_role(conn, user.id, role)?;
    account(conn, id)
}

/// Close an account for good (see `service::accounts::delete`): a person here, or another
/// server's account, whose posts are then dropped here.
pub fn delete(
    conn: &mut DbConn,
    config: &crate::config::Config,
    admin: &Account,
    id: i64,
) -> Result<Managed, Error> {
    let target = account(conn, id)?;
    not_oneself(admin, &target)?;
    crate::service::accounts::delete(conn, config, &target.account)?;
    account(conn, id)
}

/// Let a person waiting for approval sign in.
pub fn approve(conn: &mut DbConn, id: i64) -> Result<Managed, Error> {
    let target = account(conn, id)?;
    let user = target.user.as_ref().ok_or(Error::NotFound)?;
    user_store::set_approved(conn, user.id, true)?;
    account(conn, id)
}

/// Turn away a person waiting for approval; their account goes. Returns it as it was.
pub fn reject(conn: &mut DbConn, id: i64) -> Result<Managed, Error> {
    let target = account(conn, id)?;
    crate::service::accounts::reject_user(conn, &target.account.username)?;
    Ok(target)
}

/// Administrators act on others: one who locked themselves out would need the command
/// line to get back in.
fn not_oneself(admin: &Account, target: &Managed) -> Result<(), Error> {
    if admin.id == target.account.id {
        return Err(Error::Unprocessable(
            "administrators cannot do this to their own account".into(),
        ));
    }
    Ok(())
}

/// Every community's reports, newest first: open ones or resolved ones, optionally by a
/// reporter or about an account.
pub fn reports(
    conn: &mut DbConn,
    resolved: bool,
    reporter_id: Option<i64>,
    target_id: Option<i64>,
    page: Page,
) -> Result<Vec<(i64, Report)>, Error> {
    moderation_store::all_reports(conn, resolved, reporter_id, target_id, page)
}

/// Any community's report (administrators see them all).
pub fn report(conn: &mut DbConn, id: i64) -> Result<Report, Error> {
    moderation_store::reports_by_ids(conn, &[id])?
        .pop()
        .ok_or(Error::NotFound)
}

/// Mark a report dealt with, in its community's log under the administrator's name.
pub fn resolve_report(conn: &mut DbConn, admin: &Account, id: i64) -> Result<Report, Error> {
    crate::db::transaction(conn, |conn| {
        let found = report(conn, id)?;
        moderation_store::resolve_report(conn, id, admin.id, crate::time::now())?;
        let entry = moderation_store::LogEntry::new(
            found.community_id,
            Some(admin.id),
            LogAction::ResolveReport,
        );
        moderation_store::insert_log(conn, &entry)?;
        report(conn, id)
    })
}

/// Open a resolved report again.
pub fn reopen_report(conn: &mut DbConn, id: i64) -> Result<Report, Error> {
    report(conn, id)?;
    moderation_store::reopen_report(conn, id)?;
    report(conn, id)
}

/// Take a report on (`Some` of the administrator themselves) or let it go (`None`).
pub fn assign_report(conn: &mut DbConn, id: i64, to: Option<&Account>) -> Result<Report, Error> {
    report(conn, id)?;
    moderation_store::assign_report(conn, id, to.map(|a| a.id))?;
    report(conn, id)
}
