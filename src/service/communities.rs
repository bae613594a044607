//! Community rules shared by every door: who may post, and how a community passes its
//! members' activities on (FEP-1b12).

use crate::config::Config;
use crate::db::DbConn;
use crate::delivery;
use crate::error::Error;
use crate::federation::activities;
use crate::ids::next_id;
use crate::store::{
    accounts::Account,
    communities,
    follows::{self, ACCEPTED},
    statuses::Status,
};
use serde_json::Value;

/// Whether `author` may post in `community`, by its posting policy. Remote communities
/// decide for themselves.
pub fn check_may_post(
    conn: &mut DbConn,
    community: &Account,
    author: &Account,
) -> Result<(), Error> {
    if !community.is_local() {
        return Ok(());
    }
    let settings = communities::by_account(conn, community.id)?.ok_or(Error::NotFound)?;
    let is_moderator = communities::is_moderator(conn, community.id, author.id)?;
    let is_member =
        follows::between(conn, author.id, community.id)?.is_some_and(|f| f.state == ACCEPTED);
    let allowed = match settings.posting_policy.as_str() {
        "anyone" => true,
        "moderators" => is_moderator,
        _ => is_member || is_moderator,
    };
    if allowed {
        Ok(())
    } else {
        Err(Error::Forbidden(format!(
            "only {} may post in {}",
            settings.posting_policy, community.username
        )))
    }
}

/// A local community passes a member's activity on to its remote members, unchanged inside
/// an `Announce`; a new post is also announced bare, which Mastodon shows as a boost.
pub fn relay(
    conn: &mut DbConn,
    config: &Config,
    community: &Account,
    activity: &Value,
    status: &Status,
) -> Result<(), Error> {
    if status.visibility == crate::store::statuses::DIRECT {
        return Ok(()); // never passed on: it is for the people it names
    }
    let followers = community.followers_url.clone().unwrap_or_default();
    let inboxes = follows::remote_follower_inboxes(conn, community.id)?;
    let inboxes: Vec<&str> = inboxes.iter().map(String::as_str).collect();
    let wrapped = activities::announce(
        config,
        next_id(),
        &community.ap_id,
        &followers,
        activity.clone(),
    );
    delivery::enqueue(conn, config, community, &wrapped, &inboxes)?;
    if activity["type"] == "Create" {
        let bare = activities::announce(
            config,
            next_id(),
            &community.ap_id,
            &followers,
            Value::from(status.ap_id.clone()),
        );
        delivery::enqueue(conn, config, community, &bare, &inboxes)?;
    }
    Ok(())
}
