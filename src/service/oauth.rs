//! OAuth 2 for Mastodon apps: registering apps, signing in, codes (with PKCE), tokens and
//! scopes. Every secret is random and stored only as its hash.

use crate::config::Config;
use crate::crypto::{hash_token, random_token, verify_password};
use crate::db::DbConn;
use crate::error::Error;
use crate::ids::next_id;
use crate::service::throttle;
use crate::store::{
    accounts::Account,
    oauth::{self as oauth_store, App, Code, Token},
    users::{self as user_store, User},
};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};

/// Shows the code on a page instead of redirecting, for apps without a callback.
pub const OOB: &str = "urn:ietf:wg:oauth:2.0:oob";
const CODE_LIFETIME_MINUTES: i64 = 10;

const TOP_SCOPES: &[&str] = &["read", "write", "follow", "push", "profile"];
const GRANULAR: &[&str] = &[
    "admin:read",
    "admin:read:accounts",
    "admin:read:reports",
    "admin:read:domain_allows",
    "admin:read:domain_blocks",
    "admin:write",
    "admin:write:accounts",
    "admin:write:reports",
    "admin:write:domain_allows",
    "admin:write:domain_blocks",
    "read:accounts",
    "read:blocks",
    "read:bookmarks",
    "read:favourites",
    "read:filters",
    "read:follows",
    "read:lists",
    "read:mutes",
    "read:notifications",
    "read:search",
    "read:statuses",
    "write:accounts",
    "write:blocks",
    "write:bookmarks",
    "write:conversations",
    "write:favourites",
    "write:filters",
    "write:follows",
    "write:lists",
    "write:media",
    "write:mutes",
    "write:notifications",
    "write:reports",
    "write:statuses",
];

/// Normalise a scope list (space- or plus-separated), refusing unknown scopes.
pub fn parse_scopes(scopes: &str) -> Result<String, Error> {
    let list: Vec<&str> = scopes.split([' ', '+']).filter(|s| !s.is_empty()).collect();
    if list.is_empty() {
        return Ok("read".to_string());
    }
    for scope in &list {
        if !TOP_SCOPES.contains(scope) && !GRANULAR.contains(scope) {
            return Err(Error::BadRequest(format!("unknown scope {scope:?}")));
        }
    }
    Ok(list.join(" "))
}

/// Whether `granted` covers `needed`: the scope itself, its top-level scope (`read` covers
/// `read:statuses`), or `follow`, which covers follows, blocks and mutes.
pub fn has_scope(granted: &str, needed: &str) -> bool {
    granted.split(' ').any(|g| {
        g == needed
            || needed
                .strip_prefix(g)
                .is_some_and(|rest| rest.starts_with(':'))
            || (g == "follow"
                && matches!(
                    needed,
                    "read:follows"
                        | "write:follows"
                        | "read:blocks"
                        | "write:blocks"
                        | "read:mutes"
                        | "write:mutes"
                ))
    })
}

/// Requested scopes must be among the app's.
fn within_app(app: &App, requested: &str) -> Result<String, Error> {
    let requested = parse_scopes(requested)?;
    if requested.split(' ').all(|s| has_scope(&app.scopes, s)) {
        Ok(requested)
    } else {
        Err(Error::BadRequest(format!(
            "scopes {requested:?} exceed the app's {:?}",
            app.scopes
        )))
    }
}

/// Register an app; returns it with its client secret (shown once).
pub fn create_app(
    conn: &mut DbConn,
    name: &str,
    redirect_uris: &[String],
    scopes: &str,
    website: Option<String>,
) -> Result<(App, String), Error> {
    if name.trim().is_empty() {
        return Err(Error::Unprocessable("client_name can't be blank".into()));
    }
    if redirect_uris.is_empty() {
        return Err(Error::Unprocessable("redirect_uris can't be blank".into()));
    }
    for uri in redirect_uris {
        if uri != OOB && url::Url::parse(uri).is_err() {
            return Err(Error::Unprocessable(format!(
                "redirect URI {uri:?} is not a URI"
            )));
        }
    }
    let secret = random_token();
    let app = App {
        id: next_id(),
        name: name.trim().to_string(),
        website: website.filter(|w| !w.is_empty()),
        redirect_uris: redirect_uris.join("\n"),
        scopes: parse_scopes(scopes)?,
        client_id: random_token(),
        client_secret_hash: hash_token(&secret),
        created_at: crate::time::now(),
    };
    oauth_store::insert_app(conn, &app)?;
    Ok((app, secret))
}

/// The app with this client id, checking the secret when one is given.
pub fn client(conn: &mut DbConn, client_id: &str, secret: Option<&str>) -> Result<App, Error> {
    let app = oauth_store::app_by_client_id(conn, client_id)?
        .ok_or_else(|| Error::Unauthorized("unknown client".into()))?;
    if secret.is_some_and(|s| hash_token(s) != app.client_secret_hash) {
        return Err(Error::Unauthorized("client authentication failed".into()));
    }
    Ok(app)
}

pub fn check_redirect(app: &App, redirect_uri: &str) -> Result<(), Error> {
    if app.redirect_uris.lines().any(|u| u == redirect_uri) {
        Ok(())
    } else {
        Err(Error::BadRequest(
            "redirect_uri is not registered for this app".into(),
        ))
    }
}

/// A person signing in with username or email and password, from the client `address`.
/// Failures slow down further tries (see `throttle`); they are written as they happen, so this
/// must not run inside a transaction that a refusal rolls back.
pub fn sign_in(
    conn: &mut DbConn,
    config: &Config,
    (login, password): (&str, &str),
    address: &str,
) -> Result<(User, Account), Error> {
    if !config.password_sign_in {
        let provider = config
            .sso
            .as_ref()
            .map_or("single sign-on", |sso| &sso.name);
        return Err(Error::Forbidden(format!(
            "Passwords are off on this instance: sign in with {provider}."
        )));
    }
    let refused = || Error::Unauthorized("invalid username or password".into());
    let (keys, now) = (throttle::keys(login, address), crate::time::now());
    throttle::check(conn, &keys, now)?;
    let found = user_store::by_login(conn, login)?;
    let matches = match &found {
        Some((user, _)) => verify_password(password, &user.password_hash),
        None => {
            crate::crypto::verify_nobody(password);
            false
        }
    };
    let Some((user, account)) = found.filter(|_| matches) else {
        throttle::failed(conn, &keys, now)?;
        return Err(refused());
    };
    throttle::succeeded(conn, &keys)?;
    if !user.approved {
        return Err(Error::Forbidden(
            "this account is waiting for approval".into(),
        ));
    }
    if user.disabled || account.suspended {
        return Err(Error::Forbidden("this account is disabled".into()));
    }
    Ok((user, account))
}

/// After consent: a one-time code for the app.
pub fn issue_code(
    conn: &mut DbConn,
    app: &App,
    user: &User,
    redirect_uri: &str,
    scopes: &str,
    code_challenge: Option<String>,
) -> Result<String, Error> {
    check_redirect(app, redirect_uri)?;
    let scopes = within_app(app, scopes)?;
    let code = random_token();
    oauth_store::insert_code(
        conn,
        &Code {
            code_hash: hash_token(&code),
            app_id: app.id,
            user_id: user.id,
            redirect_uri: redirect_uri.to_string(),
            scopes,
            code_challenge,
            expires_at: crate::time::now() + chrono::Duration::minutes(CODE_LIFETIME_MINUTES),
        },
    )?;
    Ok(code)
}

/// A new access token (and refresh token for a person), secrets returned once.
pub struct Issued {
    pub access_token: String,
    pub refresh_token: Option<String>,
    pub scopes: String,
    pub created_at: i64,
}

pub fn issue_token(
    conn: &mut DbConn,
    app: &App,
    user: Option<&User>,
    scopes: String,
) -> Result<Issued, Error> {
    let access = random_token();
    let refresh = user.map(|_| random_token());
    let now = crate::time::now();
    oauth_store::insert_token(
        conn,
        &Token {
            id: next_id(),
            app_id: app.id,
            user_id: user.map(|u| u.id),
            token_hash: hash_token(&access),
            refresh_token_hash: refresh.as_deref().map(hash_token),
            scopes: scopes.clone(),
            created_at: now,
            expires_at: None,
            revoked_at: None,
        },
    )?;
    Ok(Issued {
        access_token: access,
        refresh_token: refresh,
        scopes,
        created_at: now.and_utc().timestamp(),
    })
}

/// Exchange a code; with PKCE the verifier must match the S256 challenge.
pub fn exchange_code(
    conn: &mut DbConn,
    app: &App,
    code: &str,
    redirect_uri: &str,
    verifier: Option<&str>,
    client_authenticated: bool,
) -> Result<Issued, Error> {
    crate::db::transaction(conn, |conn| {
        let invalid =
            || Error::BadRequest("invalid_grant: the code is unknown, used or expired".into());
        let code = oauth_store::take_code(conn, &hash_token(code))?.ok_or_else(invalid)?;
        if code.app_id != app.id
            || code.expires_at < crate::time::now()
            || code.redirect_uri != redirect_uri
        {
            return Err(invalid());
        }
        // Without the client secret, only a PKCE code proves who is asking.
        if code.code_challenge.is_none() && !client_authenticated {
            return Err(Error::Unauthorized("client_secret is required".into()));
        }
        if let Some(challenge) = &code.code_challenge {
            let verifier =
                verifier.ok_or_else(|| Error::BadRequest("code_verifier is required".into()))?;
            let computed = URL_SAFE_NO_PAD.encode(openssl::sha::sha256(verifier.as_bytes()));
            if &computed != challenge {
                return Err(Error::BadRequest(
                    "invalid_grant: code_verifier does not match".into(),
                ));
            }
        }
        let user = user_store::by_id(conn, code.user_id)?.ok_or_else(invalid)?;
        issue_token(conn, app, Some(&user), code.scopes)
    })
}

/// Trade a refresh token for a new token; the old one stops working.
pub fn refresh(conn: &mut DbConn, app: &App, refresh_token: &str) -> Result<Issued, Error> {
    crate::db::transaction(conn, |conn| {
        let old = oauth_store::live_token(conn, &hash_token(refresh_token), true)?
            .filter(|t| t.app_id == app.id)
            .ok_or_else(|| Error::BadRequest("invalid_grant: unknown refresh token".into()))?;
        oauth_store::revoke(conn, old.id, crate::time::now())?;
        let user = match old.user_id {
            Some(id) => user_store::by_id(conn, id)?,
            None => None,
        };
        issue_token(conn, app, user.as_ref(), old.scopes)
    })
}

pub fn scopes_for(app: &App, requested: Option<&str>) -> Result<String, Error> {
    within_app(app, requested.unwrap_or(&app.scopes))
}

/// Revoke a token of this app (access or refresh secret). Unknown tokens are not an error.
pub fn revoke(conn: &mut DbConn, app: &App, token: &str) -> Result<(), Error> {
    let hash = hash_token(token);
    for refresh in [false, true] {
        if let Some(found) =
            oauth_store::live_token(conn, &hash, refresh)?.filter(|t| t.app_id == app.id)
        {
            oauth_store::revoke(conn, found.id, crate::time::now())?;
        }
    }
    Ok(())
}

/// Who a bearer token speaks for.
pub struct Authenticated {
    pub token: Token,
    pub user: Option<User>,
    pub account: Option<Account>,
}

pub fn authenticate(conn: &mut DbConn, bearer: &str) -> Result<Authenticated, Error> {
    let refused = || Error::Unauthorized("The access token is invalid".into());
    let token = oauth_store::live_token(conn, &hash_token(bearer), false)?.ok_or_else(refused)?;
    let (user, account) = match token.user_id {
        Some(id) => {
            let user = user_store::by_id(conn, id)?.ok_or_else(refused)?;
            if user.disabled {
                return Err(refused());
            }
            if !user.approved {
                return Err(Error::Forbidden(
                    "Your login is currently pending approval".into(),
                ));
            }
            let account = crate::store::accounts::by_id(conn, user.account_id)?
                .filter(|a| !a.suspended)
                .ok_or_else(refused)?;
            (Some(user), Some(account))
        }
        None => (None, None),
    };
    Ok(Authenticated {
        token,
        user,
        account,
    })
}

/// The password grant, only when the operator turned it on (scripts and tests).
pub fn password_grant(
    conn: &mut DbConn,
    config: &Config,
    app: &App,
    (username, password, address): (&str, &str, &str),
    scopes: Option<&str>,
) -> Result<Issued, Error> {
    if !config.oauth_password_grant {
        return Err(Error::BadRequest(
            "unsupported_grant_type: the password grant is off on this instance".into(),
        ));
    }
    let (user, _) = sign_in(conn, config, (username, password), address)?;
    let scopes = scopes_for(app, scopes)?;
    issue_token(conn, app, Some(&user), scopes)
}

/// Sign-up through an app (`POST /api/v1/accounts`), following the registration mode. The
/// new person gets a token at once; while approval is pending it is refused with 403.
pub fn register(
    conn: &mut DbConn,
    config: &Config,
    app: &App,
    username: &str,
    email: &str,
    password: &str,
) -> Result<Issued, Error> {
    crate::db::transaction(conn, |conn| {
        let (_, user) =
            crate::service::accounts::register(conn, config, (username, email, password), false)?;
        issue_token(conn, app, Some(&user), app.scopes.clone())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_cover_their_parts() {
        assert!(has_scope("read write", "read:statuses"));
        assert!(has_scope("read:statuses", "read:statuses"));
        assert!(!has_scope("read", "write:statuses"));
        assert!(!has_scope("read:accounts", "read:statuses"));
        assert!(has_scope("follow", "write:follows"));
        assert!(!has_scope("follow", "write:statuses"));
        assert_eq!(parse_scopes("read+write").unwrap(), "read write");
        assert!(parse_scopes("read admin:everything").is_err());
    }
}
