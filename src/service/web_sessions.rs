//! Browser sign-in: sessions that last while they are used, password changes that end the
//! person's other sessions, and sign-up as the registration mode allows.

use crate::config::{Config, Registrations};
use crate::crypto::{hash_token, random_token};
use crate::db::DbConn;
use crate::error::Error;
use crate::ids::next_id;
use crate::service::{accounts, oauth};
use crate::store::{accounts::Account, users as user_store, users::User, web_sessions as store};

/// A session unused for this long is over.
const IDLE_LIMIT: chrono::TimeDelta = chrono::TimeDelta::days(30);
/// How stale a session's last use may be recorded, so that reading pages does not write a row
/// on every request.
const TOUCH_EVERY: chrono::TimeDelta = chrono::TimeDelta::hours(1);

/// The person a browser is signed in as.
#[derive(Clone)]
pub struct SignedIn {
    pub session_id: i64,
    /// When this browser signed in.
    pub since: chrono::NaiveDateTime,
    pub user: User,
    pub account: Account,
}

/// How recent a sign-in through the identity provider stands in for the password.
const FRESH_SIGN_IN: chrono::TimeDelta = chrono::TimeDelta::minutes(10);

/// Sign in with name or email and password from the client `address`; the new session's
/// secret token for the cookie.
pub fn sign_in(
    conn: &mut DbConn,
    config: &Config,
    credentials: (&str, &str),
    address: &str,
) -> Result<(String, SignedIn), Error> {
    let (user, account) = oauth::sign_in(conn, config, credentials, address)?;
    start(conn, user, account)
}

/// Sign in the person the organisation's identity provider vouched for.
pub fn sign_in_with_provider(
    conn: &mut DbConn,
    config: &Config,
    identity: &crate::sso::Identity,
) -> Result<(String, SignedIn), Error> {
    let sso = config.sso.as_ref().ok_or(Error::NotFound)?;
    let (user, account) = crate::service::sso::sign_in(conn, config, sso, identity)?;
    start(conn, user, account)
}

fn start(conn: &mut DbConn, user: User, account: Account) -> Result<(String, SignedIn), Error> {
    let token = random_token();
    let now = crate::time::now();
    let session = store::WebSession {
        id: next_id(),
        user_id: user.id,
        token_hash: hash_token(&token),
        created_at: now,
        last_used_at: now,
    };
    store::insert(conn, &session)?;
    let signed_in = SignedIn {
        session_id: session.id,
        since: session.created_at,
        user,
        account,
    };
    Ok((token, signed_in))
}

/// Who the session `token` signs in, if it is live and its person may still sign in. A
/// session of a person since disabled, suspended or unapproved is ended.
pub fn current(conn: &mut DbConn, token: &str) -> Result<Option<SignedIn>, Error> {
    let Some(session) = store::by_token_hash(conn, &hash_token(token))? else {
        return Ok(None);
    };
    let now = crate::time::now();
    let user = user_store::by_id(conn, session.user_id)?;
    let account = match &user {
        Some(user) => crate::store::accounts::by_id(conn, user.account_id)?,
        None => None,
    };
    let (Some(user), Some(account)) = (user, account) else {
        return Ok(None);
    };
    if now - session.last_used_at > IDLE_LIMIT
        || !user.approved
        || user.disabled
        || account.suspended
    {
        store::delete(conn, session.id)?;
        return Ok(None);
    }
    if now - session.last_used_at > TOUCH_EVERY {
        store::touch(conn, session.id, now)?;
    }
    Ok(Some(SignedIn {
        session_id: session.id,
        since: session.created_at,
        user,
        account,
    }))
}

/// A step that cannot be undone asks who is there again, so that a browser left signed in is
/// not enough: the password, or for a person who signs in through the identity provider, a
/// sign-in there in the last ten minutes.
pub fn confirm(conn: &mut DbConn, signed_in: &SignedIn, password: &str) -> Result<(), Error> {
    if !password.is_empty() {
        return accounts::confirm_password(&signed_in.user, password);
    }
    let fresh = crate::time::now() - signed_in.since < FRESH_SIGN_IN;
    if fresh && crate::store::sso::has_identity(conn, signed_in.user.id)? {
        return Ok(());
    }
    Err(Error::Unprocessable(
        "enter your password, or sign in again through your organisation's sign-in and do \
         this within ten minutes"
            .into(),
    ))
}

/// End the sessions idle past the limit, which [`current`] would refuse anyway: a browser
/// that never comes back would otherwise leave its row for good. Run hourly.
pub fn sweep_idle(conn: &mut DbConn) -> Result<usize, Error> {
    store::delete_unused_since(conn, crate::time::now() - IDLE_LIMIT)
}

pub fn sign_out(conn: &mut DbConn, signed_in: &SignedIn) -> Result<(), Error> {
    store::delete(conn, signed_in.session_id)
}

/// Change the password, proven by the current one; every other session of the person ends,
/// so a browser left signed in elsewhere is signed out.
pub fn change_password(
    conn: &mut DbConn,
    signed_in: &SignedIn,
    current: &str,
    new: &str,
) -> Result<(), Error> {
    if !crate::crypto::verify_password(current, &signed_in.user.password_hash) {
        return Err(Error::Unprocessable(
            "the current password is not right".into(),
        ));
    }
    accounts::validate_password(new)?;
    let hash = crate::crypto::hash_password(new)?;
    crate::db::transaction(conn, |conn| {
        user_store::set_password_hash(conn, signed_in.user.id, &hash)?;
        store::delete_others(conn, signed_in.user.id, signed_in.session_id)
    })
}

/// What signing up did.
pub enum SignedUp {
    /// Registrations are open: the person is signed in with this session token.
    SignedIn(String),
    /// The account waits for an administrator's approval.
    AwaitingApproval,
}

/// Sign up in a browser, as the registration mode allows.
pub fn sign_up(
    conn: &mut DbConn,
    config: &Config,
    username: &str,
    email: &str,
    password: &str,
) -> Result<SignedUp, Error> {
    let (account, user) = accounts::register(conn, config, (username, email, password), false)?;
    if !user.approved {
        return Ok(SignedUp::AwaitingApproval);
    }
    let (token, _) = start(conn, user, account)?;
    Ok(SignedUp::SignedIn(token))
}

/// Sign up through a community's invite link: the invite vouches for the newcomer, so the
/// account needs no approval, and they are in the community at once. Not while registrations
/// are closed: then nobody new signs up.
pub fn sign_up_invited(
    conn: &mut DbConn,
    config: &Config,
    token: &str,
    (username, email, password): (&str, &str, &str),
) -> Result<String, Error> {
    crate::service::invites::usable(conn, token)?;
    crate::db::transaction(conn, |conn| {
        let (account, user) = accounts::register(conn, config, (username, email, password), true)?;
        crate::service::invites::redeem(conn, config, token, &account, true)?;
        Ok(start(conn, user, account)?.0)
    })
}

/// Whether people may sign up here at all.
pub fn sign_up_open(config: &Config) -> bool {
    config.registrations != Registrations::Closed && config.password_sign_in
}
