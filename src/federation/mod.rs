//! The ActivityPub door: actor, post and collection documents served at their ids, the
//! inboxes, webfinger, host-meta and nodeinfo; and the federation library's traits over
//! our accounts and posts, through which remote actors and posts are fetched.

pub mod actors;
pub mod collections;
pub mod inbox;
pub mod incoming;
pub mod moderation;
pub mod nodeinfo;
pub mod objects;
pub mod policy;
pub mod resolve;
pub mod signed_fetch;
pub mod webfinger;

use crate::protocol::accepts_activity_json;
use actix_web::{
    guard,
    web::{self as aw, ServiceConfig},
};

/// Requests that ask for ActivityStreams JSON; the same URLs serve web pages otherwise.
fn activity_json() -> impl guard::Guard {
    guard::fn_guard(|ctx| accepts_activity_json(ctx.head().headers()))
}

/// Discovery, actors, collections, activities and inboxes.
pub fn routes(cfg: &mut ServiceConfig) {
    use self::{actors, collections, inbox, nodeinfo, objects, webfinger};
    cfg.route("/.well-known/webfinger", aw::get().to(webfinger::webfinger))
        .route("/.well-known/host-meta", aw::get().to(webfinger::host_meta))
        .route("/.well-known/nodeinfo", aw::get().to(nodeinfo::well_known))
        .route("/nodeinfo/{version}", aw::get().to(nodeinfo::nodeinfo))
        .service(
            aw::resource("/users/{name}")
                .guard(activity_json())
                .get(actors::person),
        )
        .service(
            aw::resource("/c/{name}")
                .guard(activity_json())
                .get(actors::group),
        )
        .service(
            aw::resource("/statuses/{id}")
                .guard(activity_json())
                .get(objects::status),
        )
        .route(
            "/users/{name}/followers",
            aw::get().to(collections::person_followers),
        )
        .route(
            "/users/{name}/following",
            aw::get().to(collections::person_following),
        )
        .route("/users/{name}/inbox", aw::post().to(inbox::inbox))
        .route(
            "/users/{name}/outbox",
            aw::get().to(collections::person_outbox),
        )
        .route(
            "/users/{name}/featured",
            aw::get().to(collections::person_featured),
        )
        .route("/c/{name}/moderators", aw::get().to(actors::moderators))
        .route(
            "/c/{name}/followers",
            aw::get().to(collections::group_followers),
        )
        .route("/c/{name}/inbox", aw::post().to(inbox::inbox))
        .route("/c/{name}/outbox", aw::get().to(collections::group_outbox))
        .route(
            "/c/{name}/featured",
            aw::get().to(collections::group_featured),
        )
        .route("/inbox", aw::post().to(inbox::inbox))
        .route("/actor", aw::get().to(actors::instance_actor))
        .route("/activities/{id}", aw::get().to(collections::activity));
}
