//! ActivityPub and discovery: actor documents, webfinger, host-meta and nodeinfo.

pub mod activities;
pub mod actors;
pub mod collections;
pub mod inbox;
pub mod moderation;
pub mod nodeinfo;
pub mod objects;
pub mod policy;
pub mod signed_fetch;
pub mod webfinger;

use actix_web::{http::header, HttpRequest};

/// Content type of ActivityPub documents we serve.
pub const ACTIVITY_JSON: &str = "application/activity+json";

/// Whether the client asked for ActivityStreams JSON rather than a web page.
pub fn wants_activity_json(req: &HttpRequest) -> bool {
    req.headers()
        .get_all(header::ACCEPT)
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.contains("application/activity+json") || v.contains("application/ld+json"))
}
