//! Local people and communities: creating them (names, credentials, keys and actor URLs),
//! their profiles, and closing a person's account for good.

use crate::config::Config;
use crate::crypto;
use crate::db::DbConn;
use crate::domain::{AccountKind, CommunityVisibility, MembershipPolicy, PostingPolicy, Role};
use crate::error::Error;
use crate::ids::next_id;
use crate::protocol::actor::{self, ApActor};
use crate::store::{
    accounts::{self as account_store, Account, NewAccount, RemoteActor},
    communities::{self as community_store, Community},
    users::{self as user_store, User},
};

pub const MIN_PASSWORD_LEN: usize = 8;
pub const MAX_USERNAME_LEN: usize = 30;

/// What a new local person needs.
pub struct NewUser<'a> {
    pub username: &'a str,
    /// The name shown; the username where there is none.
    pub display_name: Option<&'a str>,
    pub email: &'a str,
    pub password: &'a str,
    pub admin: bool,
    pub approved: bool,
}

/// Usernames and community names: ASCII letters, digits and `_`, as Mastodon accepts them.
pub fn validate_username(name: &str) -> Result<(), Error> {
    let valid = !name.is_empty()
        && name.len() <= MAX_USERNAME_LEN
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if valid {
        Ok(())
    } else {
        Err(Error::Unprocessable(format!(
            "name {name:?} is not valid: use 1 to {MAX_USERNAME_LEN} letters, digits or underscores"
        )))
    }
}

fn validate_credentials(email: &str, password: &str) -> Result<(), Error> {
    let (local, domain) = email.split_once('@').unwrap_or_default();
    if local.is_empty() || domain.is_empty() || email.chars().any(char::is_whitespace) {
        return Err(Error::Unprocessable(format!(
            "email {email:?} is not a valid address"
        )));
    }
    validate_password(password)
}

pub fn validate_password(password: &str) -> Result<(), Error> {
    if password.chars().count() < MIN_PASSWORD_LEN {
        return Err(Error::Unprocessable(format!(
            "password is too short: use at least {MIN_PASSWORD_LEN} characters"
        )));
    }
    Ok(())
}

/// The actor URLs of a local account, all derived from its name and kind.
fn local_actor(
    config: &Config,
    kind: AccountKind,
    username: &str,
    display_name: &str,
) -> Result<NewAccount, Error> {
    let base = config.base_url();
    let ap_id = match kind {
        AccountKind::Group => format!("{base}/c/{username}"),
        _ => format!("{base}/users/{username}"),
    };
    let keys = crypto::generate_keypair()?;
    let now = crate::time::now();
    Ok(NewAccount {
        id: next_id(),
        kind,
        username: username.to_string(),
        domain: None,
        display_name: display_name.to_string(),
        note: String::new(),
        url: Some(ap_id.clone()),
        inbox_url: format!("{ap_id}/inbox"),
        shared_inbox_url: Some(format!("{base}/inbox")),
        outbox_url: Some(format!("{ap_id}/outbox")),
        followers_url: Some(format!("{ap_id}/followers")),
        following_url: Some(format!("{ap_id}/following")),
        featured_url: Some(format!("{ap_id}/featured")),
        public_key_pem: keys.public_pem,
        private_key_pem: Some(keys.private_pem),
        locked: false,
        created_at: now,
        updated_at: now,
        ap_id,
    })
}

fn ensure_name_free(conn: &mut DbConn, username: &str) -> Result<(), Error> {
    if account_store::local_by_username(conn, username)?.is_some() {
        return Err(Error::Conflict(format!(
            "the name {username:?} is already taken"
        )));
    }
    Ok(())
}

/// A person signing themselves up, following the registration mode: approved at once when
/// registrations are open or an invite vouches for them, waiting for an administrator when
/// they need approval, refused when registrations are closed.
pub fn register(
    conn: &mut DbConn,
    config: &Config,
    (username, email, password): (&str, &str, &str),
    invited: bool,
) -> Result<(Account, User), Error> {
    use crate::config::Registrations;
    if config.registrations == Registrations::Closed {
        return Err(Error::Forbidden(
            "registrations are closed on this instance".into(),
        ));
    }
    if !config.password_sign_in {
        return Err(Error::Forbidden(
            "accounts here come from the organisation's single sign-on: sign in with it".into(),
        ));
    }
    let new = NewUser {
        username,
        display_name: None,
        email,
        password,
        admin: false,
        approved: invited || config.registrations == Registrations::Open,
    };
    create_user(conn, config, &new).map_err(|e| match e {
        Error::Conflict(why) => Error::Unprocessable(why),
        e => e,
    })
}

/// Create a local person with credentials. Argon2 and key generation run before the
/// transaction so it stays short.
pub fn create_user(
    conn: &mut DbConn,
    config: &Config,
    new: &NewUser,
) -> Result<(Account, User), Error> {
    validate_username(new.username)?;
    validate_credentials(new.email, new.password)?;
    let password_hash = crypto::hash_password(new.password)?;
    let display_name = new.display_name.unwrap_or(new.username);
    let account = local_actor(config, AccountKind::Person, new.username, display_name)?;
    let user = User {
        id: next_id(),
        account_id: account.id,
        email: new.email.to_string(),
        password_hash,
        role: if new.admin { Role::Admin } else { Role::User },
        approved: new.approved,
        disabled: false,
        locale: "en".to_string(),
        created_at: account.created_at,
        last_active_at: None,
    };
    crate::db::transaction(conn, |conn| {
        ensure_name_free(conn, new.username)?;
        if user_store::email_taken(conn, new.email)? {
            return Err(Error::Conflict(format!(
                "the email {:?} is already registered",
                new.email
            )));
        }
        account_store::insert(conn, &account)?;
        user_store::insert(conn, &user)?;
        let account = account_store::by_id(conn, account.id)?.ok_or(Error::NotFound)?;
        Ok((account, user))
    })
}

/// Create a local community owned (and first moderated) by the local person `owner`.
pub fn create_community(
    conn: &mut DbConn,
    config: &Config,
    name: &str,
    owner: &str,
    display_name: Option<&str>,
) -> Result<Account, Error> {
    validate_username(name)?;
    let group = local_actor(
        config,
        AccountKind::Group,
        name,
        display_name.unwrap_or(name),
    )?;
    crate::db::transaction(conn, |conn| {
        let owner = account_store::local_by_username(conn, owner)?
            .filter(|a| a.kind == AccountKind::Person)
            .ok_or_else(|| Error::Unprocessable(format!("no local user named {owner:?}")))?;
        ensure_name_free(conn, name)?;
        account_store::insert(conn, &group)?;
        community_store::insert(
            conn,
            &Community {
                account_id: group.id,
                membership_policy: MembershipPolicy::Open,
                posting_policy: PostingPolicy::Members,
                visibility: CommunityVisibility::Public,
                rules: "[]".to_string(),
                moderators_url: Some(format!("{}/moderators", group.ap_id)),
                created_by: Some(owner.id),
                created_at: group.created_at,
            },
        )?;
        community_store::add_moderator(conn, group.id, owner.id)?;
        account_store::by_id(conn, group.id)?.ok_or(Error::NotFound)
    })
}

/// Let a pending (approval-mode) user sign in.
pub fn approve_user(conn: &mut DbConn, username: &str) -> Result<(), Error> {
    let account = account_store::local_by_username(conn, username)?.ok_or(Error::NotFound)?;
    let user = user_store::by_account(conn, account.id)?.ok_or(Error::NotFound)?;
    user_store::set_approved(conn, user.id, true)
}

/// Turn away a pending sign-up: the account goes, and its name is free again.
pub fn reject_user(conn: &mut DbConn, username: &str) -> Result<(), Error> {
    let account = account_store::local_by_username(conn, username)?.ok_or(Error::NotFound)?;
    let user = user_store::by_account(conn, account.id)?.ok_or(Error::NotFound)?;
    if user.approved {
        return Err(Error::Unprocessable(format!(
            "{username} is already approved"
        )));
    }
    user_store::delete_unapproved(conn, user.id)?;
    Ok(())
}

/// Close a person's account for good: they asked (with their password), an administrator
/// did, or, for another server's account, its server sent `Delete` of it. Its posts and
/// boosts are deleted (their files go at the next sweep), its favourites taken back, its
/// follows both ways end, and a local person's login goes with its sessions and tokens;
/// servers that know a local person are sent `Delete` of the actor. The account row stays,
/// emptied and shut out, so the name is never given again.
pub fn delete(conn: &mut DbConn, config: &Config, account: &Account) -> Result<(), Error> {
    if account.kind != AccountKind::Person {
        return Err(Error::Unprocessable(
            "only people's accounts can be deleted".into(),
        ));
    }
    if account.deleted_at.is_some() {
        return Ok(());
    }
    crate::db::transaction(conn, |conn| {
        if account.is_local() {
            announce_deletion(conn, config, account)?;
            if let Some(user) = user_store::by_account(conn, account.id)? {
                user_store::delete(conn, user.id)?;
            }
        }
        crate::store::author_deletion::delete_posts_of(conn, account.id, crate::time::now())?;
        crate::store::favourites::withdraw_all_of(conn, account.id)?;
        for other in crate::store::follows::remove_all_of(conn, account.id)? {
            account_store::refresh_follow_counts(conn, other)?;
        }
        account_store::mark_deleted(conn, account.id, crate::time::now())
    })
}

/// `Delete` of a local actor to every server that knows it: its followers', its
/// communities' and those of whom it follows.
fn announce_deletion(conn: &mut DbConn, config: &Config, account: &Account) -> Result<(), Error> {
    let activity = crate::protocol::activity::delete_actor(config, next_id(), &account.ap_id);
    let mut inboxes = crate::store::follows::remote_follower_inboxes(conn, account.id)?;
    inboxes.extend(crate::store::follows::remote_followed_inboxes(
        conn, account.id,
    )?);
    inboxes.sort();
    inboxes.dedup();
    let inboxes: Vec<&str> = inboxes.iter().map(String::as_str).collect();
    crate::delivery::enqueue(conn, config, account, &activity, &inboxes)
}

/// Whether `password` is the person's.
pub fn confirm_password(user: &User, password: &str) -> Result<(), Error> {
    match crypto::verify_password(password, &user.password_hash) {
        true => Ok(()),
        false => Err(Error::Unprocessable("the password is not right".into())),
    }
}

/// Profile changes a person asks for; `None` leaves a field as it is.
#[derive(Default)]
pub struct ProfileChanges {
    pub display_name: Option<String>,
    /// Plain text; stored as HTML.
    pub note: Option<String>,
    pub locked: Option<bool>,
    pub discoverable: Option<bool>,
    pub bot: Option<bool>,
    /// URLs of uploaded images (see `service::media`).
    pub avatar_url: Option<String>,
    pub header_url: Option<String>,
}

const MAX_DISPLAY_NAME: usize = 100;
const MAX_NOTE: usize = 1000;

/// Change a local person's profile and tell their followers' servers (`Update` of the actor).
pub fn update_profile(
    conn: &mut DbConn,
    config: &Config,
    account: &Account,
    changes: ProfileChanges,
) -> Result<Account, Error> {
    if changes
        .display_name
        .as_ref()
        .is_some_and(|n| n.chars().count() > MAX_DISPLAY_NAME)
    {
        return Err(Error::Unprocessable(format!(
            "display_name is longer than {MAX_DISPLAY_NAME} characters"
        )));
    }
    if changes
        .note
        .as_ref()
        .is_some_and(|n| n.chars().count() > MAX_NOTE)
    {
        return Err(Error::Unprocessable(format!(
            "note is longer than {MAX_NOTE} characters"
        )));
    }
    let edit = account_store::ProfileEdit {
        display_name: changes.display_name,
        note: changes
            .note
            .map(|n| crate::service::text::render(&n, &[], &config.base_url(), &config.domain)),
        locked: changes.locked,
        discoverable: changes.discoverable,
        bot: changes.bot,
        avatar_url: changes.avatar_url,
        header_url: changes.header_url,
        updated_at: Some(crate::time::now()),
    };
    crate::db::transaction(conn, |conn| {
        account_store::edit_profile(conn, account.id, &edit)?;
        let updated = account_store::by_id(conn, account.id)?.ok_or(Error::NotFound)?;
        announce_profile(conn, config, &updated)?;
        Ok(updated)
    })
}

/// Tell other servers a local account's new profile: `Update` of the actor, addressed as
/// Mastodon addresses it (public, followers), to the servers of its followers (a community's
/// members) and of the communities it belongs to (where people read it too).
pub(crate) fn announce_profile(
    conn: &mut DbConn,
    config: &Config,
    account: &Account,
) -> Result<(), Error> {
    let document = serde_json::to_value(document(conn, config, account)?)?;
    let followers = account.followers_url.clone().unwrap_or_default();
    let update = crate::protocol::activity::update_actor(
        config,
        next_id(),
        &account.ap_id,
        &followers,
        document,
    );
    let mut inboxes = crate::store::follows::remote_follower_inboxes(conn, account.id)?;
    inboxes.extend(crate::store::follows::remote_community_inboxes(
        conn, account.id,
    )?);
    let inboxes: Vec<&str> = inboxes.iter().map(String::as_str).collect();
    crate::delivery::enqueue(conn, config, account, &update, &inboxes)
}

/// The ActivityPub document of a local account, with its community settings if it is one.
pub fn document(conn: &mut DbConn, config: &Config, account: &Account) -> Result<ApActor, Error> {
    let community = match account.is_group() {
        true => community_store::by_account(conn, account.id)?,
        false => None,
    };
    let mut document = actor::document(config, account, community.as_ref())?;
    let aliases = crate::store::aliases::of(conn, account.id)?;
    let aliases: Vec<url::Url> = aliases
        .iter()
        .filter_map(|a| url::Url::parse(a).ok())
        .collect();
    document.also_known_as = (!aliases.is_empty()).then_some(aliases);
    if let Some(to) = account.moved_to_id {
        let target = account_store::by_id(conn, to)?;
        document.moved_to = target.and_then(|t| url::Url::parse(&t.ap_id).ok());
    }
    Ok(document)
}

/// Keep our copy of a remote actor, as fetched from its origin: its profile HTML sanitised,
/// and for a community where it lists its moderators and whether it is members-only.
pub fn store_remote(
    conn: &mut DbConn,
    mut actor: RemoteActor,
    moderators_url: Option<String>,
    members_only: bool,
) -> Result<Account, Error> {
    actor.note = crate::service::text::sanitise(&actor.note);
    actor.display_name = actor.display_name.chars().take(MAX_REMOTE_NAME).collect();
    crate::db::transaction(conn, |conn| {
        let account = account_store::upsert_remote(conn, &actor)?;
        if account.is_group() {
            community_store::upsert_remote(conn, account.id, moderators_url, members_only)?;
        }
        Ok(account)
    })
}

/// Longest display name kept from another server.
const MAX_REMOTE_NAME: usize = 200;

/// Username of the instance actor: the dot keeps it out of the names people can choose.
pub const INSTANCE_ACTOR: &str = "instance.actor";

/// The instance's own actor, made on first start: it signs our fetches, which servers in
/// secure mode require.
pub fn ensure_instance_actor(conn: &mut DbConn, config: &Config) -> Result<Account, Error> {
    if let Some(actor) = account_store::local_by_username(conn, INSTANCE_ACTOR)? {
        return Ok(actor);
    }
    let mut actor = local_actor(config, AccountKind::Service, INSTANCE_ACTOR, &config.domain)?;
    let base = config.base_url();
    actor.ap_id = format!("{base}/actor");
    actor.url = Some(base.clone());
    actor.inbox_url = format!("{base}/inbox");
    actor.outbox_url = None;
    actor.followers_url = None;
    actor.following_url = None;
    actor.featured_url = None;
    account_store::insert(conn, &actor)?;
    account_store::by_id(conn, actor.id)?.ok_or(Error::NotFound)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::CommunityVisibility;
    use crate::testing::Fixture;

    fn remote(kind: AccountKind, note: &str, name: &str) -> RemoteActor {
        let now = crate::time::now();
        let ap_id = "https://other.example/c/makers".to_string();
        RemoteActor {
            kind,
            username: "makers".into(),
            domain: Some("other.example".into()),
            display_name: name.into(),
            note: note.into(),
            inbox_url: format!("{ap_id}/inbox"),
            ap_id,
            url: None,
            shared_inbox_url: None,
            outbox_url: None,
            followers_url: None,
            following_url: None,
            featured_url: None,
            public_key_pem: "key".into(),
            locked: false,
            discoverable: true,
            bot: false,
            avatar_url: None,
            header_url: None,
            updated_at: now,
            fetched_at: Some(now),
        }
    }

    #[test]
    fn remote_actors_are_kept_sanitised_and_refreshed_in_place() {
        let f = Fixture::new();
        let conn = &mut *f.conn();
        let long_name = "m".repeat(300);
        let actor = remote(
            AccountKind::Group,
            "<p>Hi<script>x</script></p>",
            &long_name,
        );
        let kept = store_remote(conn, actor, None, true).unwrap();
        assert_eq!(kept.note, "<p>Hi</p>");
        assert_eq!(kept.display_name.chars().count(), MAX_REMOTE_NAME);
        let settings = community_store::by_account(conn, kept.id).unwrap().unwrap();
        assert_eq!(settings.visibility, CommunityVisibility::Members);
        let again = store_remote(conn, remote(AccountKind::Group, "", "Makers"), None, false);
        let again = again.unwrap();
        assert_eq!((again.id, again.display_name.as_str()), (kept.id, "Makers"));
        let settings = community_store::by_account(conn, kept.id).unwrap().unwrap();
        assert_eq!(settings.visibility, CommunityVisibility::Public);
    }

    #[test]
    fn usernames_follow_mastodon_rules() {
        assert!(validate_username("alice_1").is_ok());
        for bad in ["", "a b", "ali.ce", "émile", &"x".repeat(31)] {
            assert!(validate_username(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn credentials_are_checked() {
        assert!(validate_credentials("a@b.c", "long enough").is_ok());
        assert!(validate_credentials("nope", "long enough").is_err());
        assert!(validate_credentials("a@b.c", "short").is_err());
    }
}
