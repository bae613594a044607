use super::lower;
use crate::db::{schema::accounts, DbConn};
use crate::domain::AccountKind;
use crate::domain::FollowState;
use crate::error::Error;
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// An actor: a local or remote person or community. What showing it takes is its
/// [`Profile`], which the account reads as its own fields (`Deref`); the rest is what
/// federating with it takes.
#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = accounts)]
pub struct Account {
    #[diesel(embed)]
    pub profile: Profile,
    pub inbox_url: String,
    pub shared_inbox_url: Option<String>,
    pub outbox_url: Option<String>,
    pub followers_url: Option<String>,
    pub following_url: Option<String>,
    pub featured_url: Option<String>,
    pub public_key_pem: String,
    pub private_key_pem: Option<String>,
    pub suspended: bool,
    pub updated_at: NaiveDateTime,
    pub fetched_at: Option<NaiveDateTime>,
    /// Closed for good (see `service::accounts::delete`).
    pub deleted_at: Option<NaiveDateTime>,
}

impl std::ops::Deref for Account {
    type Target = Profile;

    fn deref(&self) -> &Profile {
        &self.profile
    }
}

/// The columns an account is shown with, read alone where many are shown at once: a
/// thread's replies come from hundreds of people, and their keys and collection URLs are
/// half of each row.
#[derive(Clone, Debug, PartialEq, Queryable, Selectable)]
#[diesel(table_name = accounts)]
pub struct Profile {
    pub id: i64,
    pub kind: AccountKind,
    pub username: String,
    pub domain: Option<String>,
    pub display_name: String,
    pub note: String,
    pub ap_id: String,
    pub url: Option<String>,
    pub locked: bool,
    pub discoverable: bool,
    pub bot: bool,
    pub fields: String,
    pub avatar_url: Option<String>,
    pub header_url: Option<String>,
    pub followers_count: i32,
    pub following_count: i32,
    pub statuses_count: i32,
    #[diesel(deserialize_as = crate::db::stamp::MaybeStamp)]
    pub last_status_at: Option<NaiveDateTime>,
    #[diesel(deserialize_as = crate::db::stamp::Stamp)]
    pub created_at: NaiveDateTime,
    /// The account this one moved to (see `service::moves`).
    pub moved_to_id: Option<i64>,
}

impl Profile {
    pub fn is_local(&self) -> bool {
        self.domain.is_none()
    }

    pub fn is_group(&self) -> bool {
        self.kind == AccountKind::Group
    }

    /// The avatar's URL; the default image when there is none, as clients need a URL.
    pub fn avatar(&self, base_url: &str) -> String {
        self.avatar_url
            .clone()
            .unwrap_or_else(|| format!("{base_url}/static/avatar.png"))
    }

    /// The header image's URL, or the default one.
    pub fn header(&self, base_url: &str) -> String {
        self.header_url
            .clone()
            .unwrap_or_else(|| format!("{base_url}/static/header.png"))
    }

    /// `user` for local accounts, `user@domain` for remote ones (Mastodon's `acct`).
    pub fn acct(&self) -> String {
        match &self.domain {
            None => self.username.clone(),
            Some(domain) => format!("{}@{domain}", self.username),
        }
    }
}

#[derive(Insertable)]
#[diesel(table_name = accounts)]
pub struct NewAccount {
    pub id: i64,
    pub kind: AccountKind,
    pub username: String,
    pub domain: Option<String>,
    pub display_name: String,
    pub note: String,
    pub ap_id: String,
    pub url: Option<String>,
    pub inbox_url: String,
    pub shared_inbox_url: Option<String>,
    pub outbox_url: Option<String>,
    pub followers_url: Option<String>,
    pub following_url: Option<String>,
    pub featured_url: Option<String>,
    pub public_key_pem: String,
    pub private_key_pem: Option<String>,
    pub locked: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

pub fn insert(conn: &mut DbConn, account: &NewAccount) -> Result<(), Error> {
    diesel::insert_into(accounts::table)
        .values(account)
        .execute(conn)?;
    Ok(())
}

pub fn by_id(conn: &mut DbConn, id: i64) -> Result<Option<Account>, Error> {
    Ok(accounts::table
        .find(id)
        .select(Account::as_select())
        .first(conn)
        .optional()?)
}

/// The id of the oldest local actor (person or community), if there is one.
pub fn first_local_ap_id(conn: &mut DbConn) -> Result<Option<String>, Error> {
    Ok(accounts::table
        .filter(accounts::domain.is_null())
        .order(accounts::id)
        .select(accounts::ap_id)
        .first(conn)
        .optional()?)
}

pub fn by_ap_id(conn: &mut DbConn, ap_id: &str) -> Result<Option<Account>, Error> {
    Ok(accounts::table
        .filter(accounts::ap_id.eq(ap_id))
        .select(Account::as_select())
        .first(conn)
        .optional()?)
}

/// A local account by username, case-insensitively; people and communities share names.
pub fn local_by_username(conn: &mut DbConn, username: &str) -> Result<Option<Account>, Error> {
    Ok(accounts::table
        .filter(accounts::domain.is_null())
        .filter(lower(accounts::username).eq(username.to_lowercase()))
        .select(Account::as_select())
        .first(conn)
        .optional()?)
}

/// The fields of a remote actor we keep, as fetched from its origin.
#[derive(Clone, Insertable, AsChangeset)]
#[diesel(table_name = accounts, treat_none_as_null = true)]
pub struct RemoteActor {
    pub kind: AccountKind,
    pub username: String,
    pub domain: Option<String>,
    pub display_name: String,
    pub note: String,
    pub ap_id: String,
    pub url: Option<String>,
    pub inbox_url: String,
    pub shared_inbox_url: Option<String>,
    pub outbox_url: Option<String>,
    pub followers_url: Option<String>,
    pub following_url: Option<String>,
    pub featured_url: Option<String>,
    pub public_key_pem: String,
    pub locked: bool,
    pub discoverable: bool,
    pub bot: bool,
    pub avatar_url: Option<String>,
    pub header_url: Option<String>,
    pub updated_at: NaiveDateTime,
    pub fetched_at: Option<NaiveDateTime>,
}

/// Insert a remote actor or refresh the stored copy, in one statement so that two first
/// contacts at once both succeed; returns the stored row.
pub fn upsert_remote(conn: &mut DbConn, actor: &RemoteActor) -> Result<Account, Error> {
    let id = crate::ids::next_id();
    crate::on_backend!(conn, |c| diesel::insert_into(accounts::table)
        .values((
            accounts::id.eq(id),
            accounts::created_at.eq(actor.updated_at),
            actor,
        ))
        .on_conflict(accounts::ap_id)
        .do_update()
        .set(actor)
        .execute(c))?;
    by_ap_id(conn, &actor.ap_id)?.ok_or(Error::NotFound)
}

/// Recount followers and following of an account from accepted follows.
pub fn refresh_follow_counts(conn: &mut DbConn, account_id: i64) -> Result<(), Error> {
    use crate::db::schema::follows;
    let count = |column_is_target: bool, conn: &mut DbConn| -> Result<i64, Error> {
        let accepted = follows::table.filter(follows::state.eq(FollowState::Accepted));
        Ok(if column_is_target {
            accepted
                .filter(follows::target_account_id.eq(account_id))
                .count()
                .get_result(conn)?
        } else {
            accepted
                .filter(follows::account_id.eq(account_id))
                .count()
                .get_result(conn)?
        })
    };
    let followers = count(true, conn)?;
    let following = count(false, conn)?;
    diesel::update(accounts::table.find(account_id))
        .set((
            accounts::followers_count.eq(followers as i32),
            accounts::following_count.eq(following as i32),
        ))
        .execute(conn)?;
    Ok(())
}

/// An account by `username` on `domain` (`None`: local), case-insensitively.
pub fn by_acct(
    conn: &mut DbConn,
    username: &str,
    domain: Option<&str>,
) -> Result<Option<Account>, Error> {
    let query = accounts::table
        .filter(lower(accounts::username).eq(username.to_lowercase()))
        .select(Account::as_select())
        .into_boxed();
    let query = match domain {
        Some(domain) => query.filter(accounts::domain.eq(domain.to_lowercase())),
        None => query.filter(accounts::domain.is_null()),
    };
    Ok(query.first(conn).optional()?)
}

/// The first community among `ap_ids`, if any is one we know.
pub fn group_among(conn: &mut DbConn, ap_ids: &[String]) -> Result<Option<Account>, Error> {
    Ok(accounts::table
        .filter(super::one_of(conn, accounts::ap_id, ap_ids))
        .filter(accounts::kind.eq(AccountKind::Group))
        .select(Account::as_select())
        .first(conn)
        .optional()?)
}

/// Accounts by id, in one query.
pub fn by_ids(conn: &mut DbConn, ids: &[i64]) -> Result<Vec<Account>, Error> {
    Ok(accounts::table
        .filter(super::one_of_keys(conn, accounts::id, ids))
        .select(Account::as_select())
        .load(conn)?)
}

/// The version of each of the accounts `ids` that exists, (id, version) pairs: it moves with
/// every change to the account's row (triggers move it).
pub fn versions_of(conn: &mut DbConn, ids: &[i64]) -> Result<Vec<(i64, i64)>, Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    use crate::db::schema::account_versions;
    Ok(account_versions::table
        .filter(super::one_of_keys(conn, account_versions::id, ids))
        .select((account_versions::id, account_versions::version))
        .load(conn)?)
}

/// The profiles of accounts by id, in one query: for showing many accounts at once.
pub fn profiles_by_ids(conn: &mut DbConn, ids: &[i64]) -> Result<Vec<Profile>, Error> {
    Ok(accounts::table
        .filter(super::one_of_keys(conn, accounts::id, ids))
        .select(Profile::as_select())
        .load(conn)?)
}

/// Of `ids`, the suspended accounts, in one query.
pub fn suspended_among(conn: &mut DbConn, ids: &[i64]) -> Result<Vec<i64>, Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(accounts::table
        .filter(super::one_of_keys(conn, accounts::id, ids))
        // Written as is, not bound: a bound `true` keeps PostgreSQL's generic plan from
        // the partial index `accounts_suspended`.
        .filter(accounts::suspended)
        .select(accounts::id)
        .load(conn)?)
}

/// Accounts with these actor ids, in one query.
pub fn by_ap_ids(conn: &mut DbConn, ap_ids: &[String]) -> Result<Vec<Account>, Error> {
    Ok(accounts::table
        .filter(super::one_of(conn, accounts::ap_id, ap_ids))
        .select(Account::as_select())
        .load(conn)?)
}

/// What a person may change of their own profile.
#[derive(AsChangeset, Default)]
#[diesel(table_name = accounts)]
pub struct ProfileEdit {
    pub display_name: Option<String>,
    pub note: Option<String>,
    pub locked: Option<bool>,
    pub discoverable: Option<bool>,
    pub bot: Option<bool>,
    pub avatar_url: Option<String>,
    pub header_url: Option<String>,
    pub updated_at: Option<NaiveDateTime>,
}

pub fn edit_profile(conn: &mut DbConn, id: i64, edit: &ProfileEdit) -> Result<(), Error> {
    diesel::update(accounts::table.find(id))
        .set(edit)
        .execute(conn)?;
    Ok(())
}

/// The profile directory: discoverable people and communities (not the instance actor),
/// recently active or newest first; only local ones if asked.
pub fn directory(
    conn: &mut DbConn,
    local_only: bool,
    newest: bool,
    offset: i64,
    limit: i64,
) -> Result<Vec<Account>, Error> {
    let mut query = accounts::table
        .filter(accounts::discoverable.eq(true))
        .filter(accounts::suspended.eq(false))
        .filter(accounts::kind.ne(AccountKind::Service))
        .offset(offset)
        .limit(limit)
        .select(Account::as_select())
        .into_boxed();
    if local_only {
        query = query.filter(accounts::domain.is_null());
    }
    query = if newest {
        query.order(accounts::id.desc())
    } else {
        query.order((accounts::last_status_at.desc(), accounts::id.desc()))
    };
    Ok(query.load(conn)?)
}

/// Accounts whose username or display name starts with `prefix` (case-insensitive), local
/// ones first, for mention completion and account search.
pub fn search(conn: &mut DbConn, prefix: &str, limit: i64) -> Result<Vec<Account>, Error> {
    let pattern = super::starts_with(&prefix.to_lowercase());
    let mut found: Vec<Account> = accounts::table
        .filter(
            lower(accounts::username)
                .like(pattern.clone())
                .escape('\\')
                .or(lower(accounts::display_name).like(pattern).escape('\\')),
        )
        .filter(accounts::suspended.eq(false))
        .filter(accounts::kind.ne(AccountKind::Service))
        .order(accounts::followers_count.desc())
        .limit(limit)
        .select(Account::as_select())
        .load(conn)?;
    found.sort_by_key(|a| !a.is_local());
    Ok(found)
}

/// Which accounts an administrator lists (Mastodon's admin account filters).
#[derive(Clone, Debug, Default)]
pub struct AdminFilter {
    /// `Some(true)`: this instance's only; `Some(false)`: other servers' only.
    pub local: Option<bool>,
    pub standing: Option<Standing>,
    /// Administrators only.
    pub staff: bool,
    /// Usernames starting with this (any case).
    pub username: Option<String>,
    pub display_name: Option<String>,
    /// On this domain (other servers').
    pub domain: Option<String>,
    /// Local people with exactly this email (any case).
    pub email: Option<String>,
}

/// Where an account stands with the instance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Standing {
    /// Not suspended, and (if local) approved and not disabled.
    Active,
    /// Signed up, waiting for approval.
    Pending,
    /// A local login turned off.
    Disabled,
    Suspended,
}

/// A keyset page of people (not communities or the instance actor) by `filter`, newest
/// first. Conditions on logins are asked of `users` by subquery.
pub fn admin_page(
    conn: &mut DbConn,
    filter: &AdminFilter,
    page: crate::store::statuses::Page,
) -> Result<Vec<(i64, Account)>, Error> {
    use crate::db::schema::users;
    use crate::domain::Role;
    let mut query = accounts::table
        .filter(accounts::kind.eq(AccountKind::Person))
        .select((accounts::id, Account::as_select()))
        .into_boxed();
    match filter.local {
        Some(true) => query = query.filter(accounts::domain.is_null()),
        Some(false) => query = query.filter(accounts::domain.is_not_null()),
        None => {}
    }
    let login = users::account_id;
    query = match filter.standing {
        None => query,
        Some(Standing::Suspended) => query.filter(accounts::suspended.eq(true)),
        Some(Standing::Disabled) => query.filter(
            accounts::id.eq_any(users::table.filter(users::disabled.eq(true)).select(login)),
        ),
        Some(Standing::Pending) => query.filter(
            accounts::id.eq_any(
                users::table
                    .filter(users::approved.eq(false))
                    .filter(users::disabled.eq(false))
                    .select(login),
            ),
        ),
        Some(Standing::Active) => query.filter(accounts::suspended.eq(false)).filter(
            accounts::domain.is_not_null().or(accounts::id.eq_any(
                users::table
                    .filter(users::approved.eq(true))
                    .filter(users::disabled.eq(false))
                    .select(login),
            )),
        ),
    };
    if filter.staff {
        query = query.filter(
            accounts::id.eq_any(
                users::table
                    .filter(users::role.eq(Role::Admin))
                    .select(login),
            ),
        );
    }
    if let Some(email) = &filter.email {
        let email = email.to_lowercase();
        query = query.filter(
            accounts::id.eq_any(
                users::table
                    .filter(lower(users::email).eq(email))
                    .select(login),
            ),
        );
    }
    if let Some(name) = &filter.username {
        let pattern = super::starts_with(&name.to_lowercase());
        query = query.filter(lower(accounts::username).like(pattern).escape('\\'));
    }
    if let Some(name) = &filter.display_name {
        let pattern = super::starts_with(&name.to_lowercase());
        query = query.filter(lower(accounts::display_name).like(pattern).escape('\\'));
    }
    if let Some(domain) = &filter.domain {
        query = query.filter(accounts::domain.eq(domain.to_lowercase()));
    }
    Ok(load_page!(conn, query, accounts::id, page))
}

/// Suspend or reinstate an account (an administrator's decision).
pub fn set_suspended(conn: &mut DbConn, id: i64, suspended: bool) -> Result<(), Error> {
    diesel::update(accounts::table.find(id))
        .set(accounts::suspended.eq(suspended))
        .execute(conn)?;
    Ok(())
}

/// Close an account for good: its profile emptied and shut out as a suspended one is. The
/// row stays, so the name is never given again and the key can still sign the `Delete`.
pub fn mark_deleted(conn: &mut DbConn, id: i64, now: NaiveDateTime) -> Result<(), Error> {
    diesel::update(accounts::table.find(id))
        .set((
            accounts::deleted_at.eq(now),
            accounts::suspended.eq(true),
            accounts::discoverable.eq(false),
            accounts::display_name.eq(""),
            accounts::note.eq(""),
            accounts::fields.eq("[]"),
            accounts::avatar_url.eq(None::<String>),
            accounts::header_url.eq(None::<String>),
            accounts::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Record that an account moved to another.
pub fn set_moved_to(conn: &mut DbConn, id: i64, to: i64) -> Result<(), Error> {
    diesel::update(accounts::table.find(id))
        .set(accounts::moved_to_id.eq(to))
        .execute(conn)?;
    Ok(())
}
