//! Person and Group actors: the document we serve, the copy we keep of remote ones, and the
//! federation library's `Object`/`Actor` traits over accounts.

use crate::domain::{AccountKind, CommunityVisibility, PostingPolicy};
use crate::error::Error;
use crate::protocol::ACTIVITY_JSON;
use crate::state::{AppState, Ctx};
use crate::store::accounts::{self as account_store, Account, RemoteActor};
use crate::store::communities::{self, Community};
use activitypub_federation::{
    config::Data,
    fetch::object_id::ObjectId,
    protocol::{
        helpers::deserialize_skip_error, public_key::PublicKey, verification::verify_domains_match,
    },
    traits::{Actor, Object},
};
use actix_web::{web::Path, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use url::Url;

/// JSON-LD context of actor documents: ActivityStreams, security keys, and the Mastodon and
/// Lemmy terms we use.
pub fn actor_context() -> Value {
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
            "membersOnly": "urn:guild:membersOnly",
            "sensitive": "as:sensitive"
        }
    ])
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Endpoints {
    pub shared_inbox: Option<Url>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Image {
    #[serde(rename = "type", default = "image_type")]
    pub kind: String,
    pub url: Url,
}

fn image_type() -> String {
    "Image".to_string()
}

/// A Person or Group document, as we serve it and as we read other servers' actors.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApActor {
    #[serde(rename = "type")]
    pub kind: String,
    pub id: ObjectId<ApAccount>,
    pub preferred_username: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    #[serde(
        default,
        deserialize_with = "deserialize_skip_error",
        skip_serializing_if = "Option::is_none"
    )]
    pub url: Option<Url>,
    pub inbox: Url,
    #[serde(
        default,
        deserialize_with = "deserialize_skip_error",
        skip_serializing_if = "Option::is_none"
    )]
    pub outbox: Option<Url>,
    #[serde(
        default,
        deserialize_with = "deserialize_skip_error",
        skip_serializing_if = "Option::is_none"
    )]
    pub followers: Option<Url>,
    #[serde(
        default,
        deserialize_with = "deserialize_skip_error",
        skip_serializing_if = "Option::is_none"
    )]
    pub following: Option<Url>,
    #[serde(
        default,
        deserialize_with = "deserialize_skip_error",
        skip_serializing_if = "Option::is_none"
    )]
    pub featured: Option<Url>,
    #[serde(
        default,
        deserialize_with = "deserialize_skip_error",
        skip_serializing_if = "Option::is_none"
    )]
    pub endpoints: Option<Endpoints>,
    pub public_key: PublicKey,
    #[serde(default)]
    pub manually_approves_followers: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discoverable: Option<bool>,
    #[serde(
        default,
        deserialize_with = "deserialize_skip_error",
        skip_serializing_if = "Option::is_none"
    )]
    pub published: Option<DateTime<Utc>>,
    #[serde(
        default,
        deserialize_with = "deserialize_skip_error",
        skip_serializing_if = "Option::is_none"
    )]
    pub icon: Option<Image>,
    #[serde(
        default,
        deserialize_with = "deserialize_skip_error",
        skip_serializing_if = "Option::is_none"
    )]
    pub image: Option<Image>,
    /// Group: the moderators collection, as Lemmy publishes it.
    #[serde(
        default,
        deserialize_with = "deserialize_skip_error",
        skip_serializing_if = "Option::is_none"
    )]
    pub attributed_to: Option<Url>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub posting_restricted_to_mods: Option<bool>,
    /// Group: Guild's members-only communities say so, so that members' instances keep
    /// what they post there for members.
    #[serde(
        default,
        deserialize_with = "deserialize_skip_error",
        skip_serializing_if = "Option::is_none"
    )]
    pub members_only: Option<bool>,
}

/// An account as the federation library sees it: the row plus its id parsed as a URL.
#[derive(Clone, Debug)]
pub struct ApAccount {
    pub row: Account,
    id: Url,
}

impl ApAccount {
    pub fn new(row: Account) -> Result<ApAccount, Error> {
        let id = Url::parse(&row.ap_id).map_err(|e| {
            Error::internal(format!("stored actor id {} is not a URL: {e}", row.ap_id))
        })?;
        Ok(ApAccount { row, id })
    }
}

fn parse_url(value: &Option<String>) -> Option<Url> {
    value.as_deref().and_then(|v| Url::parse(v).ok())
}

/// The document of a local actor, with its community settings if it is a group.
pub fn document(
    conn: &mut crate::db::DbConn,
    config: &crate::config::Config,
    account: &Account,
) -> Result<ApActor, Error> {
    let community = match account.is_group() {
        true => communities::by_account(conn, account.id)?,
        false => None,
    };
    to_document(config, account, community.as_ref())
}

fn to_document(
    config: &crate::config::Config,
    account: &Account,
    community: Option<&Community>,
) -> Result<ApActor, Error> {
    let base = config.base_url();
    let group = account.is_group();
    let id = Url::parse(&account.ap_id)?;
    let kind = match account.kind {
        AccountKind::Group => "Group",
        AccountKind::Service => "Application",
        AccountKind::Person => "Person",
    };
    Ok(ApActor {
        kind: kind.to_string(),
        preferred_username: account.username.clone(),
        name: Some(account.display_name.clone()),
        summary: Some(account.note.clone()),
        url: parse_url(&account.url),
        inbox: Url::parse(&account.inbox_url)?,
        outbox: parse_url(&account.outbox_url),
        followers: parse_url(&account.followers_url),
        following: parse_url(&account.following_url).filter(|_| !group),
        featured: parse_url(&account.featured_url),
        endpoints: Some(Endpoints {
            shared_inbox: parse_url(&account.shared_inbox_url),
        }),
        public_key: PublicKey {
            id: format!("{id}#main-key"),
            owner: id.clone(),
            public_key_pem: account.public_key_pem.clone(),
        },
        manually_approves_followers: account.locked,
        discoverable: Some(account.discoverable),
        published: Some(account.created_at.and_utc()),
        icon: Some(Image {
            kind: image_type(),
            url: Url::parse(&account.avatar(&base))?,
        }),
        image: Some(Image {
            kind: image_type(),
            url: Url::parse(&account.header(&base))?,
        }),
        attributed_to: community.and_then(|c| parse_url(&c.moderators_url)),
        posting_restricted_to_mods: community
            .map(|c| c.posting_policy == PostingPolicy::Moderators),
        members_only: community.map(|c| c.visibility == CommunityVisibility::Members),
        id: id.into(),
    })
}

/// Whether a URL from another server may be shown as a link: http or https only.
pub fn is_web(url: &Url) -> bool {
    matches!(url.scheme(), "http" | "https")
}

/// `host[:port]` of a URL: the `domain` we store for remote accounts.
pub fn domain_of(url: &Url) -> String {
    crate::delivery::signing::host_header(url)
}

/// The row we keep for a remote actor document. HTML from other servers is sanitised here.
fn to_remote_row(json: &ApActor) -> RemoteActor {
    let now = crate::time::now();
    // Instance actors (Mastodon's, Lemmy's, ours) are Applications; they act for a server.
    let kind = match json.kind.as_str() {
        "Group" => AccountKind::Group,
        "Application" => AccountKind::Service,
        _ => AccountKind::Person,
    };
    let id = json.id.inner();
    RemoteActor {
        kind,
        username: json.preferred_username.clone(),
        domain: Some(domain_of(id)),
        display_name: json
            .name
            .clone()
            .unwrap_or_default()
            .chars()
            .take(200)
            .collect(),
        note: ammonia::clean(json.summary.as_deref().unwrap_or_default()),
        ap_id: id.to_string(),
        url: json.url.as_ref().filter(|u| is_web(u)).map(Url::to_string),
        inbox_url: json.inbox.to_string(),
        shared_inbox_url: json
            .endpoints
            .as_ref()
            .and_then(|e| e.shared_inbox.as_ref())
            .map(Url::to_string),
        outbox_url: json.outbox.as_ref().map(Url::to_string),
        followers_url: json.followers.as_ref().map(Url::to_string),
        following_url: json.following.as_ref().map(Url::to_string),
        featured_url: json.featured.as_ref().map(Url::to_string),
        public_key_pem: json.public_key.public_key_pem.clone(),
        locked: json.manually_approves_followers,
        discoverable: json.discoverable.unwrap_or(false),
        bot: matches!(json.kind.as_str(), "Service" | "Application"),
        avatar_url: json
            .icon
            .as_ref()
            .filter(|i| is_web(&i.url))
            .map(|i| i.url.to_string()),
        header_url: json
            .image
            .as_ref()
            .filter(|i| is_web(&i.url))
            .map(|i| i.url.to_string()),
        updated_at: now,
        fetched_at: Some(now),
    }
}

#[async_trait::async_trait]
impl Object for ApAccount {
    type DataType = AppState;
    type Kind = ApActor;
    type Error = Error;

    fn id(&self) -> &Url {
        &self.id
    }

    /// Remote actors are refetched when this is a day old (the library's rule).
    fn last_refreshed_at(&self) -> Option<DateTime<Utc>> {
        self.row.fetched_at.map(|t| t.and_utc())
    }

    async fn read_from_id(id: Url, data: &Data<AppState>) -> Result<Option<Self>, Error> {
        let row = data
            .db
            .run(move |conn| account_store::by_ap_id(conn, id.as_str()))
            .await?;
        row.map(ApAccount::new).transpose()
    }

    async fn into_json(self, data: &Data<AppState>) -> Result<ApActor, Error> {
        let config = data.config.clone();
        data.db
            .run(move |conn| document(conn, &config, &self.row))
            .await
    }

    async fn verify(
        json: &ApActor,
        expected_domain: &Url,
        _: &Data<AppState>,
    ) -> Result<(), Error> {
        verify_domains_match(json.id.inner(), expected_domain)?;
        // The key must belong to this actor, or anyone could sign as anyone on its server.
        if json.public_key.owner != *json.id.inner() {
            return Err(Error::BadRequest(
                "actor's key belongs to another actor".into(),
            ));
        }
        Ok(())
    }

    async fn from_json(json: ApActor, data: &Data<AppState>) -> Result<Self, Error> {
        let row = to_remote_row(&json);
        let moderators_url = json.attributed_to.as_ref().map(Url::to_string);
        let members_only = json.members_only.unwrap_or(false);
        let stored_url = moderators_url.clone();
        let account = data
            .db
            .run(move |conn| {
                let account = account_store::upsert_remote(conn, &row)?;
                if account.is_group() {
                    communities::upsert_remote(conn, account.id, stored_url, members_only)?;
                }
                Ok(account)
            })
            .await?;
        if let (true, Some(url)) = (account.is_group(), moderators_url) {
            sync_moderators(data, account.id, &url).await;
        }
        ApAccount::new(account)
    }
}

impl Actor for ApAccount {
    fn public_key_pem(&self) -> &str {
        &self.row.public_key_pem
    }

    fn private_key_pem(&self) -> Option<String> {
        self.row.private_key_pem.clone()
    }

    fn inbox(&self) -> Url {
        Url::parse(&self.row.inbox_url).unwrap_or_else(|_| self.id.clone())
    }

    fn shared_inbox(&self) -> Option<Url> {
        parse_url(&self.row.shared_inbox_url)
    }
}

pub(crate) fn activity_json<T: Serialize>(body: &T) -> HttpResponse {
    HttpResponse::Ok().content_type(ACTIVITY_JSON).json(body)
}

pub(crate) async fn local_actor(
    ctx: &Ctx,
    name: String,
    kind: AccountKind,
) -> Result<Account, Error> {
    ctx.db
        .run(move |conn| account_store::local_by_username(conn, &name))
        .await?
        .filter(|a| a.kind == kind && !a.suspended)
        .ok_or(Error::NotFound)
}

async fn actor_response(
    ctx: Ctx,
    req: HttpRequest,
    name: String,
    kind: AccountKind,
) -> Result<HttpResponse, Error> {
    let account = local_actor(&ctx, name, kind).await?;
    super::signed_fetch::require(&ctx, &req).await?;
    let document = ApAccount::new(account)?.into_json(&ctx).await?;
    Ok(activity_json(
        &activitypub_federation::protocol::context::WithContext::new(document, actor_context()),
    ))
}

/// `GET /users/{name}`: a Person document.
pub async fn person(ctx: Ctx, req: HttpRequest, name: Path<String>) -> Result<HttpResponse, Error> {
    actor_response(ctx, req, name.into_inner(), AccountKind::Person).await
}

/// `GET /c/{name}`: a Group document.
pub async fn group(ctx: Ctx, req: HttpRequest, name: Path<String>) -> Result<HttpResponse, Error> {
    actor_response(ctx, req, name.into_inner(), AccountKind::Group).await
}

/// `GET /actor`: the instance actor, served unsigned so that peers can check its signatures.
pub async fn instance_actor(ctx: Ctx) -> Result<HttpResponse, Error> {
    let config = ctx.config.clone();
    let actor = ctx
        .db
        .run(move |conn| crate::service::accounts::ensure_instance_actor(conn, &config))
        .await?;
    let document = to_document(&ctx.config, &actor, None)?;
    Ok(activity_json(
        &activitypub_federation::protocol::context::WithContext::new(document, actor_context()),
    ))
}

/// Most moderators read from a remote community's collection.
const MAX_MODERATORS: usize = 50;

/// Keep our list of a remote community's moderators, so that our members who moderate it
/// may act and we know whose actions to expect. A failure leaves the old list.
async fn sync_moderators(data: &Data<AppState>, community_id: i64, url: &str) {
    let result: Result<(), Error> = async {
        let url = Url::parse(url)?;
        let collection: Value = activitypub_federation::fetch::fetch_object_http(&url, data)
            .await?
            .object;
        let items = collection["orderedItems"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let mut ids = Vec::new();
        for item in items.iter().take(MAX_MODERATORS) {
            let Some(id) = item.as_str().or_else(|| item["id"].as_str()) else {
                continue;
            };
            match ObjectId::<ApAccount>::parse(id)?.dereference(data).await {
                Ok(moderator) => ids.push(moderator.row.id),
                Err(e) => tracing::info!("moderator {id} unavailable: {e}"),
            }
        }
        data.db
            .run(move |conn| communities::set_moderators(conn, community_id, &ids))
            .await
    }
    .await;
    if let Err(e) = result {
        tracing::info!("moderators of community {community_id} not refreshed: {e}");
    }
}

/// `GET /c/{name}/moderators`: the moderators collection Lemmy reads from `attributedTo`.
pub async fn moderators(
    ctx: Ctx,
    req: HttpRequest,
    name: Path<String>,
) -> Result<HttpResponse, Error> {
    super::signed_fetch::require(&ctx, &req).await?;
    let account = local_actor(&ctx, name.into_inner(), AccountKind::Group).await?;
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
