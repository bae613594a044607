//! The ActivityPub door: actor, post and collection documents served at their ids, the
//! inboxes, webfinger, host-meta and nodeinfo; and the federation library's traits over
//! our accounts and posts, through which remote actors and posts are fetched.

pub mod actors;
pub mod collections;
pub mod fetch;
pub mod inbox;
pub mod incoming;
pub mod moderation;
pub mod nodeinfo;
pub mod objects;
pub mod policy;
pub mod resolve;
pub mod signatures;
pub mod signed_fetch;
pub mod software;
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
    let document = |path: &str| aw::resource(path.to_string()).guard(activity_json());
    cfg.route("/.well-known/webfinger", aw::get().to(webfinger::webfinger))
        .route("/.well-known/host-meta", aw::get().to(webfinger::host_meta))
        .route("/.well-known/nodeinfo", aw::get().to(nodeinfo::well_known))
        .route("/nodeinfo/{version}", aw::get().to(nodeinfo::nodeinfo))
        .service(document("/users/{name}").get(actors::person))
        .service(document("/c/{name}").get(actors::group))
        .service(document("/statuses/{id}").get(objects::status))
        .route(
            "/{prefix:users|c}/{name}/{collection:followers|following|outbox|featured}",
            aw::get().to(collections::collection),
        )
        .route("/c/{name}/moderators", aw::get().to(actors::moderators))
        .route(
            "/{prefix:users|c}/{name}/inbox",
            aw::post().to(inbox::inbox),
        )
        .route("/inbox", aw::post().to(inbox::inbox))
        .route("/actor", aw::get().to(actors::instance_actor))
        .route("/activities/{id}", aw::get().to(collections::activity));
}
