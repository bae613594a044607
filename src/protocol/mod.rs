//! ActivityStreams documents, built in one place: actors, posts, activities and
//! collections, from rows the caller has already loaded. Services use these builders for
//! what they send, and the federation door for what it serves at the same ids, so one post
//! has one shape everywhere. Nothing here touches the database or calls a service.

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
