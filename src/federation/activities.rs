//! Outbound activity documents. Every id is under `/activities/{id}` and dereferenceable
//! there once the activity is stored in the outbox.

use crate::config::Config;
use serde_json::{json, Value};

pub const AS_CONTEXT: &str = "https://www.w3.org/ns/activitystreams";

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

/// A community's `Announce` of `object` (an activity, or a post's id) to its members.
pub fn announce(
    config: &Config,
    id: i64,
    community: &str,
    followers: &str,
    mut object: Value,
) -> Value {
    strip_context(&mut object);
    json!({
        "@context": AS_CONTEXT,
        "id": activity_id(config, id),
        "type": "Announce",
        "actor": community,
        "to": [super::objects::PUBLIC_COLLECTION],
        "cc": [followers],
        "audience": community,
        "object": object,
    })
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
        "to": [super::objects::PUBLIC_COLLECTION],
        "cc": [followers],
        "object": object,
    })
}
