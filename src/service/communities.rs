//! Community rules shared by every door: who may post, and how a community passes its
//! members' activities on (FEP-1b12).

use crate::config::Config;
use crate::db::DbConn;
use crate::delivery;
use crate::error::Error;
use crate::federation::activities;
use crate::ids::next_id;
use crate::store::{
    self,
    accounts::Account,
    communities,
    follows::{self, ACCEPTED},
    moderation,
    statuses::{self, Status, DIRECT, MEMBERS},
};
use serde_json::Value;

/// Membership policies: anyone joins, a moderator approves each join, or an invite admits.
pub const MEMBERSHIP_POLICIES: &[&str] = &["open", "approval", "invite"];
/// Who may start threads and comment.
pub const POSTING_POLICIES: &[&str] = &["members", "anyone", "moderators"];
pub const PUBLIC_COMMUNITY: &str = "public";
/// A members-only community's posts are seen by its members alone.
pub const MEMBERS_ONLY: &str = "members";

/// Whether `account` is a member: an accepted follow of the community.
pub fn is_member(conn: &mut DbConn, community_id: i64, account_id: i64) -> Result<bool, Error> {
    Ok(follows::between(conn, account_id, community_id)?.is_some_and(|f| f.state == ACCEPTED))
}

/// Admit a post by `author` into `community` as a reply to `parent` (if any), or refuse it:
/// a banned author, a locked thread, or the posting policy. A remote community decides for
/// itself what it passes on. Returns the visibility the post gets: a members-only community
/// keeps every post but direct ones for its members.
pub fn admit_post(
    conn: &mut DbConn,
    community: &Account,
    author: &Account,
    parent: Option<&Status>,
    visibility: &str,
) -> Result<String, Error> {
    let settings = communities::by_account(conn, community.id)?;
    let members_only = settings.as_ref().is_some_and(|s| s.visibility == MEMBERS_ONLY);
    let visibility = if members_only && visibility != DIRECT {
        MEMBERS.to_string()
    } else {
        visibility.to_string()
    };
    let Some(settings) = settings.filter(|_| community.is_local()) else {
        return Ok(visibility);
    };
    if moderation::active_ban(conn, community.id, author.id, store::now())?.is_some() {
        return Err(Error::Forbidden(format!(
            "you are banned from {}",
            community.username
        )));
    }
    if let Some(parent) = parent {
        let root = match parent.thread_root_id {
            Some(root) => statuses::by_id(conn, root)?,
            None => Some(parent.clone()),
        };
        if root.is_some_and(|r| r.locked) {
            return Err(Error::Forbidden("this thread is locked".into()));
        }
    }
    let is_moderator = communities::is_moderator(conn, community.id, author.id)?;
    let allowed = match settings.posting_policy.as_str() {
        "anyone" => true,
        "moderators" => is_moderator,
        _ => is_moderator || is_member(conn, community.id, author.id)?,
    };
    if !allowed {
        return Err(Error::Forbidden(format!(
            "only {} may post in {}",
            settings.posting_policy, community.username
        )));
    }
    Ok(visibility)
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
    if status.visibility == DIRECT {
        return Ok(()); // never passed on: it is for the people it names
    }
    relay_activity(conn, config, community, activity)?;
    if activity["type"] == "Create" {
        announce(conn, config, community, Value::from(status.ap_id.clone()))?;
    }
    Ok(())
}

/// A local community passes an activity in it (a member's post, a moderator's action) on
/// to its remote members, unchanged inside an `Announce`.
pub fn relay_activity(
    conn: &mut DbConn,
    config: &Config,
    community: &Account,
    activity: &Value,
) -> Result<(), Error> {
    announce(conn, config, community, activity.clone())
}

fn announce(
    conn: &mut DbConn,
    config: &Config,
    community: &Account,
    object: Value,
) -> Result<(), Error> {
    let followers = community.followers_url.clone().unwrap_or_default();
    let members_only = is_members_only(conn, community.id)?;
    let inboxes = follows::remote_follower_inboxes(conn, community.id)?;
    let inboxes: Vec<&str> = inboxes.iter().map(String::as_str).collect();
    let announce = activities::announce(
        config,
        next_id(),
        &community.ap_id,
        &followers,
        members_only,
        object,
    );
    delivery::enqueue(conn, config, community, &announce, &inboxes)
}

/// Whether a community keeps its posts for its members.
pub fn is_members_only(conn: &mut DbConn, community_id: i64) -> Result<bool, Error> {
    Ok(communities::by_account(conn, community_id)?.is_some_and(|c| c.visibility == MEMBERS_ONLY))
}
