//! Activities we send. Every id is under `/activities/{id}` and dereferenceable there once
//! the activity is stored in the outbox.

use super::{AS_CONTEXT, PUBLIC};
use crate::config::Config;
use serde_json::{json, Value};

pub fn activity_id(config: &Config, id: i64) -> String {
    format!("{}/activities/{id}", config.base_url())
}

pub fn follow(id: &str, actor: &str, object: &str) -> Value {
    json!({ "@context": AS_CONTEXT, "id": id, "type": "Follow", "actor": actor, "object": object })
}

/// `Accept` or `Reject` of a Follow, embedding it as Mastodon expects.
pub fn answer(config: &Config, id: i64, accept: bool, actor: &str, mut follow: Value) -> Value {
    strip_context(&mut follow);
    json!({
        "@context": AS_CONTEXT,
        "id": activity_id(config, id),
        "type": if accept { "Accept" } else { "Reject" },
        "actor": actor,
        "object": follow,
    })
}

pub fn undo(config: &Config, id: i64, actor: &str, mut object: Value) -> Value {
    strip_context(&mut object);
    json!({
        "@context": AS_CONTEXT,
        "id": activity_id(config, id),
        "type": "Undo",
        "actor": actor,
        "object": object,
    })
}

fn strip_context(object: &mut Value) {
    if let Some(map) = object.as_object_mut() {
        map.remove("@context");
    }
}

/// `Create`, `Update` or `Delete` of `object` by `actor`, addressed as the object is.
pub fn wrap(config: &Config, id: i64, kind: &str, actor: &str, mut object: Value) -> Value {
    strip_context(&mut object);
    let mut activity = json!({
        "@context": AS_CONTEXT,
        "id": activity_id(config, id),
        "type": kind,
        "actor": actor,
        "to": object.get("to").cloned().unwrap_or_else(|| json!([])),
        "cc": object.get("cc").cloned().unwrap_or_else(|| json!([])),
        "object": object,
    });
    if let Some(audience) = activity["object"].get("audience").cloned() {
        activity["audience"] = audience;
    }
    activity
}

/// `Delete` of an actor by itself: the account is closed, and servers that know it drop it
/// and what it posted.
pub fn delete_actor(config: &Config, id: i64, actor: &str) -> Value {
    json!({
        "@context": AS_CONTEXT,
        "id": activity_id(config, id),
        "type": "Delete",
        "actor": actor,
        "object": actor,
        "to": [PUBLIC],
    })
}

/// `Move` of an account to `target`, to its followers: their servers follow the new account
/// instead, once it names the old one in `alsoKnownAs`.
pub fn move_account(config: &Config, id: i64, actor: &str, followers: &str, target: &str) -> Value {
    json!({
        "@context": AS_CONTEXT,
        "id": activity_id(config, id),
        "type": "Move",
        "actor": actor,
        "object": actor,
        "target": target,
        "to": [followers],
    })
}

/// `Update` of an actor's own document, to the public and its followers as Mastodon sends
/// it: servers drop activities that are addressed to no one.
pub fn update_actor(
    config: &Config,
    id: i64,
    actor: &str,
    followers: &str,
    mut document: Value,
) -> Value {
    strip_context(&mut document);
    json!({
        "@context": AS_CONTEXT,
        "id": activity_id(config, id),
        "type": "Update",
        "actor": actor,
        "to": [PUBLIC],
        "cc": [followers],
        "object": document,
    })
}

/// Addressing of what a community passes on: the public and its members, or, when
/// `restricted` (members-only communities, followers-only posts), its members alone.
pub fn community_audience(followers: &str, restricted: bool) -> (Value, Value) {
    if restricted {
        (json!([followers]), json!([]))
    } else {
        (json!([PUBLIC]), json!([followers]))
    }
}

/// Servers that refuse an `Announce` of a bare post id (they read only announced
/// activities), by their nodeinfo `software.name`.
pub const NO_BARE_ANNOUNCE: &[&str] = &["lemmy", "mbin", "kbin", "piefed"];

/// A community's `Announce` of `object` (an activity, or a post's id) to its members.
pub fn announce(
    config: &Config,
    id: i64,
    community: &str,
    followers: &str,
    restricted: bool,
    mut object: Value,
) -> Value {
    strip_context(&mut object);
    let (to, cc) = community_audience(followers, restricted);
    json!({
        "@context": AS_CONTEXT,
        "id": activity_id(config, id),
        "type": "Announce",
        "actor": community,
        "to": to,
        "cc": cc,
        "audience": community,
        "object": object,
    })
}

/// A moderator's action in a community, in the shapes Lemmy sends: `Delete` (removal),
/// `Lock`, `Add`/`Remove` (on the moderators or featured collection, named by `target`) and
/// `Block` (a ban, `target` the community). `extra` carries `target`, `summary` and the like.
pub fn moderation(
    config: &Config,
    id: i64,
    kind: &str,
    actor: &str,
    (community, to): (&str, Value),
    object: Value,
    extra: serde_json::Map<String, Value>,
) -> Value {
    let mut activity = json!({
        "@context": AS_CONTEXT,
        "id": activity_id(config, id),
        "type": kind,
        "actor": actor,
        "to": to,
        "cc": [community],
        "audience": community,
        "object": object,
    });
    if let Some(map) = activity.as_object_mut() {
        map.extend(extra);
    }
    activity
}

/// A vote in another server's poll, as Mastodon sends it: a `Create` of a `Note` whose `name`
/// is the option chosen, in reply to the poll, addressed to the poll's author alone.
pub fn vote(
    config: &Config,
    id: i64,
    voter: &str,
    poll: &str,
    author: &str,
    option: &str,
) -> Value {
    let note = json!({
        "id": format!("{}#votes/{id}", activity_id(config, id)),
        "type": "Note",
        "attributedTo": voter,
        "to": [author],
        "name": option,
        "inReplyTo": poll,
    });
    wrap(config, id, "Create", voter, note)
}

pub fn like(id: &str, actor: &str, object: &str) -> Value {
    json!({ "@context": AS_CONTEXT, "id": id, "type": "Like", "actor": actor, "object": object })
}

/// A person's boost of a post: `Announce` to the public and their followers.
pub fn boost(id: &str, actor: &str, followers: &str, object: &str) -> Value {
    json!({
        "@context": AS_CONTEXT,
        "id": id,
        "type": "Announce",
        "actor": actor,
        "to": [PUBLIC],
        "cc": [followers],
        "object": object,
    })
}

/// A report of `object` to `community`'s moderators, as Lemmy sends it.
pub fn flag(id: &str, actor: &str, community: &str, object: &str, comment: &str) -> Value {
    json!({
        "@context": AS_CONTEXT,
        "id": id,
        "type": "Flag",
        "actor": actor,
        "to": [community],
        "audience": community,
        "object": object,
        "summary": comment,
        "content": comment,
    })
}

/// A person's block of another person (Mastodon's shape; a community's ban adds `target`).
pub fn block(id: &str, actor: &str, object: &str) -> Value {
    json!({ "@context": AS_CONTEXT, "id": id, "type": "Block", "actor": actor, "object": object })
}

/// Activity types Guild acts on when they arrive; any other is acknowledged and dropped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Follow,
    Accept,
    Reject,
    Undo,
    Create,
    Update,
    Delete,
    Announce,
    Like,
    Lock,
    Add,
    Remove,
    Block,
    Flag,
    Move,
}

impl Kind {
    const ALL: [(Kind, &'static str); 15] = [
        (Kind::Follow, "Follow"),
        (Kind::Accept, "Accept"),
        (Kind::Reject, "Reject"),
        (Kind::Undo, "Undo"),
        (Kind::Create, "Create"),
        (Kind::Update, "Update"),
        (Kind::Delete, "Delete"),
        (Kind::Announce, "Announce"),
        (Kind::Like, "Like"),
        (Kind::Lock, "Lock"),
        (Kind::Add, "Add"),
        (Kind::Remove, "Remove"),
        (Kind::Block, "Block"),
        (Kind::Flag, "Flag"),
        (Kind::Move, "Move"),
    ];

    /// The kind named by an activity's `type`, if Guild acts on it.
    pub fn parse(name: &str) -> Option<Kind> {
        Kind::ALL.iter().find(|(_, n)| *n == name).map(|(k, _)| *k)
    }

    pub fn as_str(self) -> &'static str {
        Kind::ALL
            .iter()
            .find(|(k, _)| *k == self)
            .map_or("", |(_, n)| n)
    }

    /// Types only moderators send (Lemmy's shapes); a `Delete` or `Undo` may carry
    /// moderation too, which depends on what it deletes or undoes.
    pub fn is_moderation(self) -> bool {
        matches!(self, Kind::Lock | Kind::Add | Kind::Remove | Kind::Block)
    }
}

impl<'de> serde::Deserialize<'de> for Kind {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Kind, D::Error> {
        let name = String::deserialize(d)?;
        Kind::parse(&name)
            .ok_or_else(|| serde::de::Error::custom(format!("{name} is not handled here")))
    }
}
