//! First run: until an admin exists, a one-time link lets the first person in create the
//! admin account from a browser. Only the token's hash is stored; a restart makes a new one.

use crate::config::Config;
use crate::crypto;
use crate::db::DbConn;
use crate::error::Error;
use crate::service::accounts::{create_user, NewUser};
use crate::store::{settings, users};

const SETUP_TOKEN_KEY: &str = "setup_token_hash";

/// If there is no admin yet, make a fresh setup token and return the link to print.
pub fn setup_link_if_needed(conn: &mut DbConn, config: &Config) -> Result<Option<String>, Error> {
    if users::first_admin(conn)?.is_some() {
        settings::remove(conn, SETUP_TOKEN_KEY)?;
        return Ok(None);
    }
    let token = crypto::random_token();
    settings::set(conn, SETUP_TOKEN_KEY, &crypto::hash_token(&token))?;
    Ok(Some(format!("{}/setup?token={token}", config.base_url())))
}

/// Whether `token` is the current setup token.
pub fn token_is_valid(conn: &mut DbConn, token: &str) -> Result<bool, Error> {
    Ok(settings::get(conn, SETUP_TOKEN_KEY)?.is_some_and(|h| h == crypto::hash_token(token)))
}

/// Create the first admin with the setup token, which is used up in the same transaction.
pub fn complete_setup(
    conn: &mut DbConn,
    config: &Config,
    token: &str,
    username: &str,
    email: &str,
    password: &str,
) -> Result<(), Error> {
    crate::db::transaction(conn, |conn| {
        if !token_is_valid(conn, token)? {
            return Err(Error::Forbidden(
                "this setup link is not valid any more; restart the server for a new one".into(),
            ));
        }
        settings::remove(conn, SETUP_TOKEN_KEY)?;
        let new = NewUser {
            username,
            email,
            password,
            admin: true,
            approved: true,
        };
        create_user(conn, config, &new)?;
        Ok(())
    })
}
