//! ActivityStreams documents, built in one place: actors, posts, activities and
//! collections, from rows the caller has already loaded. Services use these builders for
//! what they send, and the federation door for what it serves at the same ids, so one post
//! has one shape everywhere. Nothing here touches the database or calls a service.

pub mod activity;
pub mod actor;
pub mod collection;
pub mod note;
pub mod remote_post;

/// Content type of the ActivityPub documents we serve and send.
pub const ACTIVITY_JSON: &str = "application/activity+json";
/// The JSON-LD context of activities and objects.
pub const AS_CONTEXT: &str = "https://www.w3.org/ns/activitystreams";
/// The collection that makes a post public.
pub const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

/// Whether an `Accept` header asks for ActivityStreams JSON rather than a web page.
pub fn accepts_activity_json(headers: &actix_web::http::header::HeaderMap) -> bool {
    headers
        .get_all(actix_web::http::header::ACCEPT)
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.contains("application/activity+json") || v.contains("application/ld+json"))
}

/// `host[:port]` of a URL: how Guild names a server, in stored domains, policies and the
/// signed `Host` header alike.
pub fn domain_of(url: &url::Url) -> String {
    match (url.host_str(), url.port()) {
        (Some(host), Some(port)) => format!("{host}:{port}"),
        (Some(host), None) => host.to_string(),
        _ => String::new(),
    }
}

/// The id of an object given by reference or inline; of a list, the first (Mastodon's
/// `Flag` names several objects).
pub fn id_of(value: &serde_json::Value) -> Option<&str> {
    match value {
        serde_json::Value::String(id) => Some(id),
        serde_json::Value::Array(items) => items.first().and_then(id_of),
        object => object["id"].as_str(),
    }
}

/// Whether two ids come from the same server: scheme, host and port, as Guild names servers
/// everywhere. An object is believed from its own origin only.
pub fn same_origin(a: &url::Url, b: &url::Url) -> bool {
    a.origin() == b.origin()
}

/// [`same_origin`], or a 400 that names the two ids.
pub fn require_same_origin(a: &url::Url, b: &url::Url) -> Result<(), crate::error::Error> {
    if same_origin(a, b) {
        return Ok(());
    }
    Err(crate::error::Error::BadRequest(format!(
        "{a} and {b} are not from the same server"
    )))
}

/// Whether a URL from another server may be shown as a link: http or https only.
pub fn is_web(url: &url::Url) -> bool {
    matches!(url.scheme(), "http" | "https")
}

/// Where a local community lists its moderators (Lemmy reads it from `attributedTo`).
pub fn moderators_collection(community_ap_id: &str) -> String {
    format!("{community_ap_id}/moderators")
}

/// Where an actor lists its pinned posts, when it did not say.
pub fn featured_collection(actor_ap_id: &str) -> String {
    format!("{actor_ap_id}/featured")
}
