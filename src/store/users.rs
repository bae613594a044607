use super::lower;
use crate::db::{schema::users, DbConn};
use crate::domain::Role;
use crate::error::Error;
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// Credentials and role of a local person.
#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = users)]
pub struct User {
    pub id: i64,
    pub account_id: i64,
    pub email: String,
    pub password_hash: String,
    pub role: Role,
    pub approved: bool,
    pub disabled: bool,
    pub locale: String,
    pub created_at: NaiveDateTime,
    pub last_active_at: Option<NaiveDateTime>,
}

pub fn insert(conn: &mut DbConn, user: &User) -> Result<(), Error> {
    diesel::insert_into(users::table)
        .values(user)
        .execute(conn)?;
    Ok(())
}

pub fn by_account(conn: &mut DbConn, account_id: i64) -> Result<Option<User>, Error> {
    Ok(users::table
        .filter(users::account_id.eq(account_id))
        .select(User::as_select())
        .first(conn)
        .optional()?)
}

pub fn email_taken(conn: &mut DbConn, email: &str) -> Result<bool, Error> {
    let count: i64 = users::table
        .filter(lower(users::email).eq(email.to_lowercase()))
        .count()
        .get_result(conn)?;
    Ok(count > 0)
}

pub fn by_email(conn: &mut DbConn, email: &str) -> Result<Option<User>, Error> {
    Ok(users::table
        .filter(lower(users::email).eq(email.to_lowercase()))
        .select(User::as_select())
        .first(conn)
        .optional()?)
}

/// The earliest admin, shown as the instance's contact.
pub fn first_admin(conn: &mut DbConn) -> Result<Option<User>, Error> {
    Ok(users::table
        .filter(users::role.eq(Role::Admin))
        .order(users::id.asc())
        .select(User::as_select())
        .first(conn)
        .optional()?)
}

pub fn set_approved(conn: &mut DbConn, user_id: i64, approved: bool) -> Result<(), Error> {
    diesel::update(users::table.find(user_id))
        .set(users::approved.eq(approved))
        .execute(conn)?;
    Ok(())
}

/// A local person by username or email, for signing in.
pub fn by_login(
    conn: &mut DbConn,
    login: &str,
) -> Result<Option<(User, crate::store::accounts::Account)>, Error> {
    use crate::db::schema::accounts;
    use crate::store::accounts::Account;
    let login = login.trim().to_lowercase();
    Ok(users::table
        .inner_join(accounts::table)
        .filter(
            lower(users::email).eq(&login).or(accounts::domain
                .is_null()
                .and(lower(accounts::username).eq(&login))),
        )
        .select((User::as_select(), Account::as_select()))
        .first(conn)
        .optional()?)
}

pub fn by_id(conn: &mut DbConn, id: i64) -> Result<Option<User>, Error> {
    Ok(users::table
        .find(id)
        .select(User::as_select())
        .first(conn)
        .optional()?)
}

pub fn set_password_hash(conn: &mut DbConn, user_id: i64, hash: &str) -> Result<(), Error> {
    diesel::update(users::table.find(user_id))
        .set(users::password_hash.eq(hash))
        .execute(conn)?;
    Ok(())
}

/// People waiting for an administrator's approval, oldest first.
pub fn pending(
    conn: &mut DbConn,
    limit: i64,
) -> Result<Vec<(User, crate::store::accounts::Account)>, Error> {
    use crate::db::schema::accounts;
    use crate::store::accounts::Account;
    Ok(users::table
        .inner_join(accounts::table)
        .filter(users::approved.eq(false))
        .filter(users::disabled.eq(false))
        .order(users::id.asc())
        .limit(limit)
        .select((User::as_select(), Account::as_select()))
        .load(conn)?)
}

/// Remove a person who was never approved, with their account: they never signed in, so
/// nothing of theirs exists elsewhere. False if there is no such person.
pub fn delete_unapproved(conn: &mut DbConn, user_id: i64) -> Result<bool, Error> {
    use crate::db::schema::accounts;
    let Some(user) = by_id(conn, user_id)?.filter(|u| !u.approved) else {
        return Ok(false);
    };
    Ok(diesel::delete(accounts::table.find(user.account_id)).execute(conn)? > 0)
}

/// The logins of `account_ids` (local people among them).
pub fn by_accounts(conn: &mut DbConn, account_ids: &[i64]) -> Result<Vec<User>, Error> {
    Ok(users::table
        .filter(super::one_of(conn, users::account_id, account_ids))
        .select(User::as_select())
        .load(conn)?)
}

pub fn set_disabled(conn: &mut DbConn, user_id: i64, disabled: bool) -> Result<(), Error> {
    diesel::update(users::table.find(user_id))
        .set(users::disabled.eq(disabled))
        .execute(conn)?;
    Ok(())
}

pub fn set_role(conn: &mut DbConn, user_id: i64, role: Role) -> Result<(), Error> {
    diesel::update(users::table.find(user_id))
        .set(users::role.eq(role))
        .execute(conn)?;
    Ok(())
}

/// Remove a login; its sessions, app tokens and codes go with it.
pub fn delete(conn: &mut DbConn, user_id: i64) -> Result<(), Error> {
    diesel::delete(users::table.find(user_id)).execute(conn)?;
    Ok(())
}
