//! What signing in through the organisation's identity provider does to accounts: the
//! provider's subject finds the login; on the first sign-in an account is linked by a verified
//! email or created; the email domain may be restricted; a claim may carry the
//! administrator role.

use crate::config::{Config, SingleSignOn};
use crate::crypto::{hash_token, random_token};
use crate::db::DbConn;
use crate::domain::Role;
use crate::error::Error;
use crate::service::accounts::{self, NewUser};
use crate::sso::Identity;
use crate::store::{
    accounts as account_store, accounts::Account, sso as store, users, users::User,
};

/// How long a sign-in may take at the provider before its state is forgotten.
const LOGIN_TTL: chrono::TimeDelta = chrono::TimeDelta::minutes(10);

/// Remember a sign-in sent to the provider. `browser` is a secret of the browser that started
/// it (its form cookie): the answer counts only in that browser, so nobody can send a victim
/// back with a code of their own and sign them in as someone else.
pub fn begin(
    conn: &mut DbConn,
    started: &crate::sso::Started,
    browser: &str,
    next: &str,
) -> Result<(), Error> {
    let now = crate::time::now();
    store::delete_logins_before(conn, now - LOGIN_TTL)?;
    store::insert_login(
        conn,
        &store::Login {
            state_hash: hash_token(&started.state),
            browser_hash: hash_token(browser),
            verifier: started.verifier.clone(),
            nonce: started.nonce.clone(),
            next: next.to_string(),
            created_at: now,
        },
    )
}

/// The sign-in that `state` belongs to, once, if this browser started it in time.
pub fn resume(conn: &mut DbConn, state: &str, browser: &str) -> Result<store::Login, Error> {
    let expired = || {
        Error::BadRequest(
            "This sign-in is unknown or took too long. Start again from the sign-in page.".into(),
        )
    };
    let login = store::take_login(conn, &hash_token(state))?.ok_or_else(expired)?;
    if crate::time::now() - login.created_at > LOGIN_TTL {
        return Err(expired());
    }
    if login.browser_hash != hash_token(browser) {
        return Err(Error::BadRequest(
            "This sign-in was started in another browser. Start again from the sign-in page."
                .into(),
        ));
    }
    Ok(login)
}

/// The login for the person the provider vouched for: found by subject, else linked by a
/// verified email, else created. Refused for an email domain not accepted here and for
/// disabled or suspended accounts.
pub fn sign_in(
    conn: &mut DbConn,
    config: &Config,
    sso: &SingleSignOn,
    identity: &Identity,
) -> Result<(User, Account), Error> {
    let email = accepted_email(sso, identity)?;
    let now = crate::time::now();
    let found = store::find(conn, &identity.issuer, &identity.subject)?;
    let user = match found {
        Some(known) => {
            store::signed_in(conn, (&identity.issuer, &identity.subject), &email, now)?;
            users::by_id(conn, known.user_id)?.ok_or(Error::NotFound)?
        }
        None => first_sign_in(conn, config, identity, &email)?,
    };
    let account = account_store::by_id(conn, user.account_id)?.ok_or(Error::NotFound)?;
    if user.disabled || account.suspended || account.deleted_at.is_some() {
        return Err(Error::Forbidden("this account is disabled".into()));
    }
    let user = match &sso.admin_claim {
        Some((claim, value)) => with_role(conn, user, identity.has_claim(claim, value))?,
        None => user,
    };
    Ok((user, account))
}

/// The email to record, in an accepted domain. Accounts here need one, so a provider that
/// sends none is refused with the fix.
fn accepted_email(sso: &SingleSignOn, identity: &Identity) -> Result<String, Error> {
    let email = identity.email.clone().ok_or_else(|| {
        Error::Forbidden(
            "The identity provider sent no email address. Its administrators should give Guild \
             the email scope."
                .into(),
        )
    })?;
    let domain = email.rsplit_once('@').map(|(_, d)| d.to_ascii_lowercase());
    let accepted =
        sso.email_domains.is_empty() || domain.is_some_and(|d| sso.email_domains.contains(&d));
    if !accepted {
        return Err(Error::Forbidden(format!(
            "Sign-in through {} is open to addresses at {} only, not {email}.",
            sso.name,
            sso.email_domains.join(", ")
        )));
    }
    Ok(email)
}

fn first_sign_in(
    conn: &mut DbConn,
    config: &Config,
    identity: &Identity,
    email: &str,
) -> Result<User, Error> {
    let user = match users::by_email(conn, email)? {
        // Linking by email hands the account to whoever the provider says owns the address,
        // so only an address the provider has verified will do.
        Some(existing) if identity.email_verified => existing,
        Some(_) => {
            return Err(Error::Forbidden(format!(
                "An account here already uses {email}, and the identity provider does not say \
                 the address is verified, so it cannot be linked. Ask an administrator."
            )))
        }
        None => create(conn, config, identity, email)?,
    };
    let now = crate::time::now();
    store::insert(
        conn,
        &store::Identity {
            issuer: identity.issuer.clone(),
            subject: identity.subject.clone(),
            user_id: user.id,
            email: email.to_string(),
            created_at: now,
            last_sign_in_at: now,
        },
    )?;
    Ok(user)
}

/// A new, approved account named after the person's preferred username (or the email's
/// local part), with a number added where the name is taken. Its password is random and
/// unknown: the person signs in through the provider.
fn create(
    conn: &mut DbConn,
    config: &Config,
    identity: &Identity,
    email: &str,
) -> Result<User, Error> {
    let wanted = identity
        .username
        .clone()
        .unwrap_or_else(|| email.split('@').next().unwrap_or_default().to_string());
    let username = free_name(conn, &wanted)?;
    let password = random_token();
    let new = NewUser {
        username: &username,
        display_name: identity.name.as_deref(),
        email,
        password: &password,
        admin: false,
        approved: true,
    };
    Ok(accounts::create_user(conn, config, &new)?.1)
}

/// `wanted` made a valid username, with the first free number appended where it is taken.
fn free_name(conn: &mut DbConn, wanted: &str) -> Result<String, Error> {
    let mut base: String = wanted
        .chars()
        .map(|c| match c {
            '.' | '-' => '_',
            c => c,
        })
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .take(accounts::MAX_USERNAME_LEN - 3)
        .collect();
    if base.is_empty() {
        base = "member".into();
    }
    for n in 1..1000 {
        let name = match n {
            1 => base.clone(),
            n => format!("{base}{n}"),
        };
        if account_store::local_by_username(conn, &name)?.is_none() {
            return Ok(name);
        }
    }
    Err(Error::Conflict(format!(
        "no free username like {base:?} is left"
    )))
}

/// The provider decides who administers the instance when its claim is configured: the
/// role follows the claim at every sign-in, so removing someone from the group there ends
/// their administration here.
fn with_role(conn: &mut DbConn, mut user: User, admin: bool) -> Result<User, Error> {
    let role = if admin { Role::Admin } else { Role::User };
    if user.role != role {
        users::set_role(conn, user.id, role)?;
        user.role = role;
    }
    Ok(user)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity(email: Option<&str>) -> Identity {
        Identity {
            issuer: "https://id.example/".into(),
            subject: "1".into(),
            email: email.map(str::to_string),
            email_verified: true,
            username: None,
            name: None,
            claims: [("groups".to_string(), serde_json::json!(["staff", "admins"]))].into(),
        }
    }

    fn sso(domains: &[&str]) -> SingleSignOn {
        SingleSignOn {
            issuer: "https://id.example/".into(),
            client_id: "guild".into(),
            client_secret: crate::config::Secret("s".into()),
            name: "Acme ID".into(),
            email_domains: domains.iter().map(|d| d.to_string()).collect(),
            admin_claim: None,
        }
    }

    #[test]
    fn email_domains_are_matched_whole_and_without_case() {
        let acme = sso(&["acme.example"]);
        assert!(accepted_email(&acme, &identity(Some("ann@ACME.example"))).is_ok());
        assert!(accepted_email(&acme, &identity(Some("ann@notacme.example"))).is_err());
        assert!(accepted_email(&acme, &identity(Some("acme.example@evil.example"))).is_err());
        assert!(accepted_email(&acme, &identity(None)).is_err());
        assert!(accepted_email(&sso(&[]), &identity(Some("ann@any.example"))).is_ok());
    }

    fn signed_in(
        fixture: &crate::testing::Fixture,
        sso: &SingleSignOn,
        who: &Identity,
    ) -> Result<(User, Account), Error> {
        sign_in(&mut fixture.conn(), &fixture.config, sso, who)
    }

    #[test]
    fn the_subject_finds_the_account_and_a_verified_email_links_one() {
        let fixture = crate::testing::Fixture::new();
        let mut acme = sso(&[]);
        acme.admin_claim = Some(("groups".into(), "admins".into()));
        let mut first = identity(Some("Ann.Lee@acme.example"));
        first.username = Some("ann.lee".into());
        first.name = Some("Ann Lee".into());
        let (user, account) = signed_in(&fixture, &acme, &first).unwrap();
        assert_eq!(account.username, "ann_lee");
        assert_eq!(account.display_name, "Ann Lee");
        assert_eq!(user.role, Role::Admin);

        // The same subject with another name and email is the same person; the claim gone,
        // so is the role.
        let mut again = identity(Some("ann@acme.example"));
        again.username = Some("someone_else".into());
        again.claims.clear();
        let (user_again, _) = signed_in(&fixture, &acme, &again).unwrap();
        assert_eq!(user_again.id, user.id);
        assert_eq!(user_again.role, Role::User);

        // Another subject wanting a taken name gets a number.
        let mut namesake = identity(Some("ann.lee@other.example"));
        namesake.subject = "2".into();
        namesake.username = Some("ann_lee".into());
        assert_eq!(
            signed_in(&fixture, &acme, &namesake).unwrap().1.username,
            "ann_lee2"
        );

        // An account made with a password is linked by its email only when it is verified.
        let bob = fixture.person(&mut fixture.conn(), "bob");
        let mut unverified = identity(Some("BOB@guild.test"));
        unverified.subject = "3".into();
        unverified.email_verified = false;
        assert!(matches!(
            signed_in(&fixture, &acme, &unverified),
            Err(Error::Forbidden(_))
        ));
        unverified.email_verified = true;
        assert_eq!(
            signed_in(&fixture, &acme, &unverified).unwrap().1.id,
            bob.id
        );
    }

    #[test]
    fn claims_match_values_and_lists() {
        let who = identity(None);
        assert!(who.has_claim("groups", "admins"));
        assert!(!who.has_claim("groups", "admin"));
        assert!(!who.has_claim("roles", "admins"));
    }
}
