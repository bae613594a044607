//! Single sign-on: which provider identity each login is, and sign-ins under way.

use crate::db::{
    schema::{sso_identities, sso_logins},
    DbConn,
};
use crate::error::Error;
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// A login's identity at the organisation's provider.
#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = sso_identities)]
pub struct Identity {
    pub issuer: String,
    pub subject: String,
    pub user_id: i64,
    pub email: String,
    pub created_at: NaiveDateTime,
    pub last_sign_in_at: NaiveDateTime,
}

pub fn find(conn: &mut DbConn, issuer: &str, subject: &str) -> Result<Option<Identity>, Error> {
    Ok(sso_identities::table
        .find((issuer, subject))
        .select(Identity::as_select())
        .first(conn)
        .optional()?)
}

pub fn insert(conn: &mut DbConn, identity: &Identity) -> Result<(), Error> {
    diesel::insert_into(sso_identities::table)
        .values(identity)
        .execute(conn)?;
    Ok(())
}

/// Record a sign-in and the email the provider gave with it.
pub fn signed_in(
    conn: &mut DbConn,
    (issuer, subject): (&str, &str),
    email: &str,
    at: NaiveDateTime,
) -> Result<(), Error> {
    diesel::update(sso_identities::table.find((issuer, subject)))
        .set((
            sso_identities::email.eq(email),
            sso_identities::last_sign_in_at.eq(at),
        ))
        .execute(conn)?;
    Ok(())
}

/// Whether the login signs in through the provider.
pub fn has_identity(conn: &mut DbConn, user_id: i64) -> Result<bool, Error> {
    let count: i64 = sso_identities::table
        .filter(sso_identities::user_id.eq(user_id))
        .count()
        .get_result(conn)?;
    Ok(count > 0)
}

/// A sign-in sent to the provider, keyed by the hash of its `state`.
#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = sso_logins)]
pub struct Login {
    pub state_hash: String,
    pub browser_hash: String,
    pub verifier: String,
    pub nonce: String,
    pub next: String,
    pub created_at: NaiveDateTime,
}

pub fn insert_login(conn: &mut DbConn, login: &Login) -> Result<(), Error> {
    diesel::insert_into(sso_logins::table)
        .values(login)
        .execute(conn)?;
    Ok(())
}

/// Take the sign-in with this state hash: it can be finished once.
pub fn take_login(conn: &mut DbConn, state_hash: &str) -> Result<Option<Login>, Error> {
    crate::db::transaction(conn, |conn| {
        let login = sso_logins::table
            .find(state_hash)
            .select(Login::as_select())
            .first(conn)
            .optional()?;
        diesel::delete(sso_logins::table.find(state_hash)).execute(conn)?;
        Ok(login)
    })
}

/// Forget sign-ins started before `before` that never came back.
pub fn delete_logins_before(conn: &mut DbConn, before: NaiveDateTime) -> Result<usize, Error> {
    Ok(
        diesel::delete(sso_logins::table.filter(sso_logins::created_at.lt(before)))
            .execute(conn)?,
    )
}
