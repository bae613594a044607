//! First run: the database takes the instance's domain for life, and until an admin exists, a
//! one-time link lets the first person in create the admin account from a browser. Only the
//! token's hash is stored; a restart makes a new one.

use crate::config::Config;
use crate::crypto;
use crate::db::DbConn;
use crate::error::Error;
use crate::service::accounts::{create_user, NewUser};
use crate::store::{accounts, settings, users};

const SETUP_TOKEN_KEY: &str = "setup_token_hash";
const DOMAIN_KEY: &str = "domain";

/// Every id Guild gives out carries the domain, and other servers know its people by those ids,
/// so a database serves one domain for life. The first run records it; a run with another
/// domain is refused before it can make anyone under the wrong name. Until the database holds
/// a local person or community, a new domain simply replaces the recorded one.
pub fn claim_domain(conn: &mut DbConn, config: &Config) -> Result<(), Error> {
    let recorded = settings::get(conn, DOMAIN_KEY)?;
    if recorded.as_deref() == Some(config.domain.as_str()) {
        return Ok(());
    }
    // Databases made before the domain was recorded show it in their actors' ids.
    let first_actor = accounts::first_local_ap_id(conn)?;
    let owner = recorded.or_else(|| first_actor.as_deref().and_then(domain_of));
    match owner {
        Some(owner) if owner != config.domain && first_actor.is_some() => {
            Err(Error::Conflict(format!(
                "this database belongs to the domain {owner}, but the setting `domain` is {}. \
                 Set `domain = \"{owner}\"` in the configuration file (or GUILD_DOMAIN={owner}), \
                 or point `database_url` at another database. A server's domain cannot change \
                 once it has people or communities: other servers know them by it",
                config.domain
            )))
        }
        _ => settings::set(conn, DOMAIN_KEY, &config.domain),
    }
}

/// `host[:port]` of an actor id, as the `domain` setting writes it.
fn domain_of(ap_id: &str) -> Option<String> {
    let url = url::Url::parse(ap_id).ok()?;
    let host = url.host_str()?;
    Some(match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_string(),
    })
}

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
            display_name: None,
            email,
            password,
            admin: true,
            approved: true,
        };
        create_user(conn, config, &new)?;
        Ok(())
    })
}
