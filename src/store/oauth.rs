//! OAuth applications, authorization codes and tokens. Secrets are stored as hashes.

use crate::db::{
    schema::{oauth_apps, oauth_codes, oauth_tokens},
    DbConn,
};
use crate::error::Error;
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = oauth_apps)]
pub struct App {
    pub id: i64,
    pub name: String,
    pub website: Option<String>,
    /// One redirect URI per line.
    pub redirect_uris: String,
    pub scopes: String,
    pub client_id: String,
    pub client_secret_hash: String,
    pub created_at: NaiveDateTime,
}

#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = oauth_codes)]
pub struct Code {
    pub code_hash: String,
    pub app_id: i64,
    pub user_id: i64,
    pub redirect_uri: String,
    pub scopes: String,
    pub code_challenge: Option<String>,
    pub expires_at: NaiveDateTime,
}

#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = oauth_tokens)]
pub struct Token {
    pub id: i64,
    pub app_id: i64,
    pub user_id: Option<i64>,
    pub token_hash: String,
    pub refresh_token_hash: Option<String>,
    pub scopes: String,
    pub created_at: NaiveDateTime,
    pub expires_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
}

pub fn insert_app(conn: &mut DbConn, app: &App) -> Result<(), Error> {
    diesel::insert_into(oauth_apps::table)
        .values(app)
        .execute(conn)?;
    Ok(())
}

pub fn app_by_client_id(conn: &mut DbConn, client_id: &str) -> Result<Option<App>, Error> {
    Ok(oauth_apps::table
        .filter(oauth_apps::client_id.eq(client_id))
        .select(App::as_select())
        .first(conn)
        .optional()?)
}

pub fn app_by_id(conn: &mut DbConn, id: i64) -> Result<Option<App>, Error> {
    Ok(oauth_apps::table
        .find(id)
        .select(App::as_select())
        .first(conn)
        .optional()?)
}

pub fn insert_code(conn: &mut DbConn, code: &Code) -> Result<(), Error> {
    diesel::insert_into(oauth_codes::table)
        .values(code)
        .execute(conn)?;
    Ok(())
}

/// Remove and return a code: a code works once.
pub fn take_code(conn: &mut DbConn, code_hash: &str) -> Result<Option<Code>, Error> {
    let code = oauth_codes::table
        .find(code_hash)
        .select(Code::as_select())
        .first(conn)
        .optional()?;
    if code.is_some() {
        diesel::delete(oauth_codes::table.find(code_hash)).execute(conn)?;
    }
    Ok(code)
}

pub fn insert_token(conn: &mut DbConn, token: &Token) -> Result<(), Error> {
    diesel::insert_into(oauth_tokens::table)
        .values(token)
        .execute(conn)?;
    Ok(())
}

/// A live token by the hash of its access or refresh secret.
pub fn live_token(conn: &mut DbConn, hash: &str, refresh: bool) -> Result<Option<Token>, Error> {
    let query = oauth_tokens::table
        .filter(oauth_tokens::revoked_at.is_null())
        .select(Token::as_select())
        .into_boxed();
    let query = if refresh {
        query.filter(oauth_tokens::refresh_token_hash.eq(hash))
    } else {
        query.filter(oauth_tokens::token_hash.eq(hash))
    };
    Ok(query.first(conn).optional()?)
}

/// Which of the tokens `ids` still hold: not revoked, of a person whose login is not disabled
/// and whose account is not suspended (or of an app alone).
pub fn valid_among(conn: &mut DbConn, ids: &[i64]) -> Result<Vec<i64>, Error> {
    use crate::db::schema::{accounts, users};
    let live: Vec<(i64, Option<i64>)> = oauth_tokens::table
        .filter(oauth_tokens::id.eq_any(ids))
        .filter(oauth_tokens::revoked_at.is_null())
        .select((oauth_tokens::id, oauth_tokens::user_id))
        .load(conn)?;
    let people: Vec<i64> = live.iter().filter_map(|(_, user)| *user).collect();
    let allowed: Vec<i64> = users::table
        .inner_join(accounts::table)
        .filter(users::id.eq_any(&people))
        .filter(users::disabled.eq(false))
        .filter(accounts::suspended.eq(false))
        .select(users::id)
        .load(conn)?;
    Ok(live
        .into_iter()
        .filter(|(_, user)| user.is_none_or(|u| allowed.contains(&u)))
        .map(|(id, _)| id)
        .collect())
}

pub fn revoke(conn: &mut DbConn, id: i64, now: NaiveDateTime) -> Result<(), Error> {
    diesel::update(oauth_tokens::table.find(id))
        .set(oauth_tokens::revoked_at.eq(now))
        .execute(conn)?;
    crate::events::record(crate::events::Event::TokenRevoked { token: id });
    Ok(())
}
