//! Person and Group actor documents, and the community moderators collection.

use super::{wants_activity_json, ACTIVITY_JSON};
use crate::app::Ctx;
use crate::error::Error;
use crate::store::accounts::{self as account_store, Account, GROUP, PERSON};
use crate::store::communities;
use crate::web;
use actix_web::{web::Path, HttpRequest, HttpResponse};
use serde::Serialize;
use serde_json::{json, Value};

/// JSON-LD context of actor documents: ActivityStreams, security keys, and the Mastodon and
/// Lemmy terms we use.
fn actor_context() -> Value {
    json!([
        "https://www.w3.org/ns/activitystreams",
        "https://w3id.org/security/v1",
        {
            "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
            "toot": "http://joinmastodon.org/ns#",
            "discoverable": "toot:discoverable",
            "featured": { "@id": "toot:featured", "@type": "@id" },
            "lemmy": "https://join-lemmy.org/ns#",
            "postingRestrictedToMods": "lemmy:postingRestrictedToMods",
            "sensitive": "as:sensitive"
        }
    ])
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PublicKey<'a> {
    id: String,
    owner: &'a str,
    public_key_pem: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Endpoints<'a> {
    shared_inbox: &'a str,
}

#[derive(Serialize)]
struct Image {
    #[serde(rename = "type")]
    kind: &'static str,
    url: String,
}

/// What Person and Group documents share.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ActorDocument<'a> {
    #[serde(rename = "@context")]
    context: Value,
    #[serde(rename = "type")]
    kind: &'static str,
    id: &'a str,
    preferred_username: &'a str,
    name: &'a str,
    summary: &'a str,
    url: &'a str,
    inbox: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    outbox: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    followers: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    following: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    featured: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    endpoints: Option<Endpoints<'a>>,
    public_key: PublicKey<'a>,
    manually_approves_followers: bool,
    discoverable: bool,
    published: String,
    icon: Image,
    image: Image,
    /// Group only: the moderators collection, as Lemmy publishes it.
    #[serde(skip_serializing_if = "Option::is_none")]
    attributed_to: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    posting_restricted_to_mods: Option<bool>,
}

fn actor_document<'a>(ctx: &Ctx, account: &'a Account, kind: &'static str) -> ActorDocument<'a> {
    let base = ctx.config.base_url();
    ActorDocument {
        context: actor_context(),
        kind,
        id: &account.ap_id,
        preferred_username: &account.username,
        name: &account.display_name,
        summary: &account.note,
        url: account.url.as_deref().unwrap_or(&account.ap_id),
        inbox: &account.inbox_url,
        outbox: account.outbox_url.as_deref(),
        followers: account.followers_url.as_deref(),
        following: account
            .following_url
            .as_deref()
            .filter(|_| kind == "Person"),
        featured: account.featured_url.as_deref(),
        endpoints: account
            .shared_inbox_url
            .as_deref()
            .map(|shared_inbox| Endpoints { shared_inbox }),
        public_key: PublicKey {
            id: format!("{}#main-key", account.ap_id),
            owner: &account.ap_id,
            public_key_pem: &account.public_key_pem,
        },
        manually_approves_followers: account.locked,
        discoverable: account.discoverable,
        published: crate::api::entities::time(account.created_at),
        icon: Image {
            kind: "Image",
            url: web::avatar_url(&base, account),
        },
        image: Image {
            kind: "Image",
            url: web::header_url(&base, account),
        },
        attributed_to: None,
        posting_restricted_to_mods: None,
    }
}

fn activity_json<T: Serialize>(body: &T) -> HttpResponse {
    HttpResponse::Ok().content_type(ACTIVITY_JSON).json(body)
}

async fn local_actor(ctx: &Ctx, name: String, kind: &'static str) -> Result<Account, Error> {
    ctx.db
        .run(move |conn| account_store::local_by_username(conn, &name))
        .await?
        .filter(|a| a.kind == kind && !a.suspended)
        .ok_or(Error::NotFound)
}

/// `GET /users/{name}`: a Person document, or the profile page for browsers.
pub async fn person(ctx: Ctx, req: HttpRequest, name: Path<String>) -> Result<HttpResponse, Error> {
    let account = local_actor(&ctx, name.into_inner(), PERSON).await?;
    if !wants_activity_json(&req) {
        return web::profile_page(&ctx, &account);
    }
    Ok(activity_json(&actor_document(&ctx, &account, "Person")))
}

/// `GET /c/{name}`: a Group document, or the community page for browsers.
pub async fn group(ctx: Ctx, req: HttpRequest, name: Path<String>) -> Result<HttpResponse, Error> {
    let account = local_actor(&ctx, name.into_inner(), GROUP).await?;
    if !wants_activity_json(&req) {
        return web::profile_page(&ctx, &account);
    }
    let id = account.id;
    let community = ctx
        .db
        .run(move |conn| communities::by_account(conn, id))
        .await?
        .ok_or(Error::NotFound)?;
    let mut doc = actor_document(&ctx, &account, "Group");
    doc.attributed_to = community.moderators_url;
    doc.posting_restricted_to_mods = Some(community.posting_policy == "moderators");
    Ok(activity_json(&doc))
}

/// `GET /c/{name}/moderators`: the moderators collection Lemmy reads from `attributedTo`.
pub async fn moderators(ctx: Ctx, name: Path<String>) -> Result<HttpResponse, Error> {
    let account = local_actor(&ctx, name.into_inner(), GROUP).await?;
    let (group_id, collection_id) = (account.id, format!("{}/moderators", account.ap_id));
    let moderators = ctx
        .db
        .run(move |conn| communities::moderator_ap_ids(conn, group_id))
        .await?;
    Ok(activity_json(&json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "type": "OrderedCollection",
        "id": collection_id,
        "totalItems": moderators.len(),
        "orderedItems": moderators,
    })))
}
