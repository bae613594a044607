//! Person and Group actors: their documents served at their ids, and the federation
//! library's `Object`/`Actor` traits over accounts, through which remote actors are fetched
//! and kept.

use crate::domain::AccountKind;
use crate::error::Error;
use crate::protocol::{
    actor::{actor_context, remote_row, ApActor},
    collection, moderators_collection, require_same_origin, ACTIVITY_JSON,
};
use crate::service::{accounts as account_service, communities as community_service};
use crate::state::{AppState, Ctx};
use crate::store::{
    accounts::{self as account_store, Account},
    communities,
};
use activitypub_federation::{
    config::Data,
    fetch::object_id::ObjectId,
    protocol::context::WithContext,
    traits::{Actor, Object},
};
use actix_web::{web::Path, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use url::Url;

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
            .run(move |conn| account_service::document(conn, &config, &self.row))
            .await
    }

    async fn verify(
        json: &ApActor,
        expected_domain: &Url,
        _: &Data<AppState>,
    ) -> Result<(), Error> {
        require_same_origin(&json.id, expected_domain)?;
        // The key must belong to this actor, or anyone could sign as anyone on its server.
        if json.public_key.owner != json.id {
            return Err(Error::BadRequest(
                "actor's key belongs to another actor".into(),
            ));
        }
        Ok(())
    }

    async fn from_json(json: ApActor, data: &Data<AppState>) -> Result<Self, Error> {
        let row = remote_row(&json);
        let moderators_url = json.attributed_to.as_ref().map(Url::to_string);
        let members_only = json.members_only.unwrap_or(false);
        let stored_url = moderators_url.clone();
        let account = data
            .db
            .run(move |conn| account_service::store_remote(conn, row, stored_url, members_only))
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
        self.row
            .shared_inbox_url
            .as_deref()
            .and_then(|u| Url::parse(u).ok())
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
        .filter(|a| a.kind == kind)
        .ok_or(Error::NotFound)
        .and_then(|a| match (a.deleted_at, a.suspended) {
            // Closed for good: peers that ask are told so, and drop their copy.
            (Some(_), _) => Err(Error::Gone),
            (None, true) => Err(Error::NotFound),
            (None, false) => Ok(a),
        })
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
    Ok(activity_json(&WithContext::new(document, actor_context())))
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
    let document = ctx
        .db
        .run(move |conn| {
            let actor = account_service::ensure_instance_actor(conn, &config)?;
            account_service::document(conn, &config, &actor)
        })
        .await?;
    Ok(activity_json(&WithContext::new(document, actor_context())))
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
            .run(move |conn| community_service::set_remote_moderators(conn, community_id, &ids))
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
    let (group_id, collection_id) = (account.id, moderators_collection(&account.ap_id));
    let moderators = ctx
        .db
        .run(move |conn| communities::moderator_ap_ids(conn, group_id))
        .await?;
    Ok(activity_json(&collection::whole(
        &collection_id,
        &moderators,
    )))
}
