//! NodeInfo 2.0 and 2.1: what software this is and how much it holds.

use crate::config::Registrations;
use crate::error::Error;
use crate::state::Ctx;
use actix_web::{web::Path, HttpResponse};
use serde_json::{json, Value};

const VERSIONS: [&str; 2] = ["2.0", "2.1"];

/// `/.well-known/nodeinfo`: links to each schema version we serve.
pub async fn well_known(ctx: Ctx) -> HttpResponse {
    let base = ctx.config.base_url();
    let links: Vec<Value> = VERSIONS
        .iter()
        .map(|v| {
            json!({
                "rel": format!("http://nodeinfo.diaspora.software/ns/schema/{v}"),
                "href": format!("{base}/nodeinfo/{v}"),
            })
        })
        .collect();
    HttpResponse::Ok().json(json!({ "links": links }))
}

/// `/nodeinfo/{version}`.
pub async fn nodeinfo(ctx: Ctx, version: Path<String>) -> Result<HttpResponse, Error> {
    let version = version.into_inner();
    if !VERSIONS.contains(&version.as_str()) {
        return Err(Error::NotFound);
    }
    let stats = ctx.stats.get(&ctx.db).await?;
    let body = json!({
        "version": version,
        "software": { "name": "guild", "version": env!("CARGO_PKG_VERSION") },
        "protocols": ["activitypub"],
        "services": { "inbound": [], "outbound": [] },
        "openRegistrations": ctx.config.registrations != Registrations::Closed,
        "usage": {
            "users": {
                "total": stats.users,
                "activeMonth": stats.active_month,
                "activeHalfyear": stats.active_halfyear,
            },
            "localPosts": stats.local_posts,
            "localComments": stats.local_comments,
        },
        "metadata": {
            "nodeName": ctx.config.instance_name,
            "nodeDescription": ctx.config.instance_description,
            "communities": stats.communities,
            "registrations": ctx.config.registrations.as_str(),
        },
    });
    let profile = format!("http://nodeinfo.diaspora.software/ns/schema/{version}#");
    Ok(HttpResponse::Ok()
        .content_type(format!("application/json; profile=\"{profile}\""))
        .json(body))
}
