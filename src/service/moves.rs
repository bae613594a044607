//! Moving between servers. A person names their old account as also theirs on the new one
//! (`alsoKnownAs`), then moves the old one there: its followers' servers are sent `Move`, and
//! they, like this server for its own people, follow the new account instead. A `Move` is
//! believed only when the new account names the old one, so nobody can take another's
//! followers.

use crate::config::Config;
use crate::db::DbConn;
use crate::domain::AccountKind;
use crate::error::Error;
use crate::ids::next_id;
use crate::store::{accounts as account_store, accounts::Account, aliases, follows};

/// `account` (local) names `alias` (an actor id, here or elsewhere) as also its own, and tells
/// other servers with `Update` of its profile.
pub fn add_alias(
    conn: &mut DbConn,
    config: &Config,
    account: &Account,
    alias: &Account,
) -> Result<(), Error> {
    if alias.id == account.id || alias.kind != AccountKind::Person {
        return Err(Error::Unprocessable(
            "name another person's account you own".into(),
        ));
    }
    crate::db::transaction(conn, |conn| {
        if aliases::add(conn, account.id, &alias.ap_id)? {
            super::accounts::announce_profile(conn, config, account)?;
        }
        Ok(())
    })
}

/// The local `account` moves to `target`, whose `alsoKnownAs` is `target_aliases` (read just
/// now). Its followers' servers are sent `Move`; its followers here follow `target` at once.
pub fn move_to(
    conn: &mut DbConn,
    config: &Config,
    account: &Account,
    target: &Account,
    target_aliases: &[String],
) -> Result<(), Error> {
    if target.id == account.id || target.kind != AccountKind::Person {
        return Err(Error::Unprocessable(
            "move to another person's account".into(),
        ));
    }
    if !target_aliases.contains(&account.ap_id) {
        return Err(Error::Unprocessable(format!(
            "{} does not name this account as also theirs yet; add {} as an alias there first",
            target.acct(),
            account.ap_id
        )));
    }
    crate::db::transaction(conn, |conn| {
        let followers = account.followers_url.clone().unwrap_or_default();
        let activity = crate::protocol::activity::move_account(
            config,
            next_id(),
            &account.ap_id,
            &followers,
            &target.ap_id,
        );
        let inboxes = follows::remote_follower_inboxes(conn, account.id)?;
        let inboxes: Vec<&str> = inboxes.iter().map(String::as_str).collect();
        crate::delivery::enqueue(conn, config, account, &activity, &inboxes)?;
        move_followers(conn, config, account, target)
    })
}

/// Another server's account `old` moved to `new`, whose `alsoKnownAs` is `new_aliases` (read
/// just now from its server): people here who followed `old` follow `new` instead.
pub fn receive_move(
    conn: &mut DbConn,
    config: &Config,
    old: &Account,
    new: &Account,
    new_aliases: &[String],
) -> Result<(), Error> {
    if !new_aliases.contains(&old.ap_id) || new.id == old.id {
        return Err(Error::Forbidden(format!(
            "{} does not name {} in alsoKnownAs",
            new.ap_id, old.ap_id
        )));
    }
    crate::db::transaction(conn, |conn| move_followers(conn, config, old, new))
}

/// This server's followers of `old` follow `new` and stop following `old`; `old` points to
/// `new` from now on. A follower who may not follow `new` (a block between them) keeps
/// following `old`, and the others move all the same.
fn move_followers(
    conn: &mut DbConn,
    config: &Config,
    old: &Account,
    new: &Account,
) -> Result<(), Error> {
    let followers = follows::local_follower_ids(conn, old.id)?;
    for follower in account_store::by_ids(conn, &followers)? {
        if follower.id != new.id && follows::between(conn, follower.id, new.id)?.is_none() {
            match super::follows::follow(conn, config, &follower, new) {
                Ok(_) => {}
                Err(Error::Forbidden(why)) | Err(Error::Unprocessable(why)) => {
                    tracing::info!("{} stays with {}: {why}", follower.acct(), old.ap_id);
                    continue;
                }
                Err(e) => return Err(e),
            }
        }
        super::follows::unfollow(conn, config, &follower, old)?;
    }
    account_store::set_moved_to(conn, old.id, new.id)
}
