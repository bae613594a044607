//! Personal and shared inboxes. Every POST is checked by the federation library (body digest,
//! HTTP signature against the actor's key, activity id on the actor's origin); an activity id
//! seen before is acknowledged and not processed again; unknown types are accepted and ignored.

use super::actors::ApAccount;
use super::objects::ApStatus;
use crate::error::Error;
use crate::policy;
use crate::protocol::note::{ApPost, POST_TYPES};
use crate::service::follows;
use crate::service::{blocks, communities, inbound, interactions, moderation, reports, statuses};
use crate::state::{AppState, Ctx};
use crate::store::accounts as account_store;
use crate::store::accounts::Account;
use crate::store::communities as community_store;
use crate::store::statuses::Status;
use activitypub_federation::{
    actix_web::inbox::receive_activity,
    config::Data,
    fetch::object_id::ObjectId,
    traits::{Activity, Object},
};
use actix_web::{web::Bytes, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::Value;
use url::Url;

/// Activity types Guild acts on; anything else is acknowledged and dropped.
const HANDLED: &[&str] = &[
    "Follow", "Accept", "Reject", "Undo", "Create", "Update", "Delete", "Announce", "Like", "Lock",
    "Add", "Remove", "Block", "Flag",
];

/// An inbound activity: the envelope the library verifies, with the object left as JSON and
/// read according to `type`.
#[derive(Clone, Debug, Deserialize)]
pub struct Incoming {
    id: Url,
    #[serde(rename = "type")]
    kind: String,
    actor: ObjectId<ApAccount>,
    #[serde(default)]
    object: Value,
    /// Everything else, so a community can pass the activity on unchanged.
    #[serde(flatten)]
    rest: serde_json::Map<String, Value>,
}

/// The id of an object given inline or by reference (the first, of a list: Mastodon's
/// `Flag` names several).
fn object_id(object: &Value) -> Option<&str> {
    match object {
        Value::String(id) => Some(id),
        Value::Array(items) => items.first().and_then(object_id),
        object => object["id"].as_str(),
    }
}

impl Incoming {
    fn object_id(&self) -> Result<&str, Error> {
        object_id(&self.object)
            .ok_or_else(|| Error::BadRequest(format!("{} without object id", self.kind)))
    }

    /// A local account named by URL, or 404.
    async fn local_account(&self, id: &str, data: &Data<AppState>) -> Result<ApAccount, Error> {
        let target: ObjectId<ApAccount> = ObjectId::parse(id)?;
        if !target.is_local(data) {
            return Err(Error::BadRequest(format!(
                "{id} is not an actor of this instance"
            )));
        }
        target.dereference_local(data).await
    }
}

#[async_trait::async_trait]
impl Activity for Incoming {
    type DataType = AppState;
    type Error = Error;

    fn id(&self) -> &Url {
        &self.id
    }

    fn actor(&self) -> &Url {
        self.actor.inner()
    }

    async fn verify(&self, _data: &Data<AppState>) -> Result<(), Error> {
        self.object_id()?;
        // An Undo may only withdraw the sender's own activity.
        if self.kind == "Undo" {
            if let Some(inner_actor) = self.object["actor"].as_str() {
                if inner_actor != self.actor.inner().as_str() {
                    return Err(Error::Forbidden("Undo of another actor's activity".into()));
                }
            }
        }
        Ok(())
    }

    async fn receive(self, data: &Data<AppState>) -> Result<(), Error> {
        let sender = self.actor.dereference(data).await?.row;
        let config = data.config.clone();
        if super::moderation::is_moderation(data, &self.raw()).await? {
            self.receive_moderation(data, sender).await?;
            return Ok(());
        }
        match self.kind.as_str() {
            "Follow" => {
                let target = self.local_account(self.object_id()?, data).await?.row;
                let follow_id = self.id.to_string();
                data.db
                    .run(move |conn| {
                        follows::receive_follow(conn, &config, &sender, &target, &follow_id)
                    })
                    .await?;
            }
            "Accept" | "Reject" => {
                let follow_id = self.object_id()?.to_string();
                let accept = self.kind == "Accept";
                data.db
                    .run(move |conn| follows::receive_answer(conn, &follow_id, &sender, accept))
                    .await?;
            }
            "Create" | "Update" => {
                if let Some(status) = self.store_post(data).await? {
                    self.relay_if_local_community(data, status).await?;
                }
            }
            "Delete" => {
                let id = self.object_id()?.to_string();
                let deleted = data
                    .db
                    .run(move |conn| statuses::delete_remote(conn, &sender, &id))
                    .await?;
                if let Some(status) = deleted {
                    self.relay_if_local_community(data, status).await?;
                }
            }
            "Announce" if sender.is_group() => {
                self.receive_community_announce(data, sender).await?
            }
            "Announce" | "Like" => {
                let status = ObjectId::<ApStatus>::parse(self.object_id()?)?
                    .dereference(data)
                    .await?
                    .row;
                let (id, boost) = (self.id.to_string(), self.kind == "Announce");
                data.db
                    .run(move |conn| match boost {
                        true => interactions::receive_boost(conn, &sender, &status, &id),
                        false => interactions::receive_like(conn, &sender, &status, &id),
                    })
                    .await?;
            }
            "Undo" if matches!(self.object["type"].as_str(), Some("Like" | "Announce")) => {
                let id = self.object_id()?.to_string();
                data.db
                    .run(move |conn| interactions::receive_undo(conn, &sender, &id))
                    .await?;
            }
            "Undo" if self.object["type"] == "Follow" => {
                let Some(target_id) = object_id(&self.object["object"]).map(str::to_string) else {
                    return Err(Error::BadRequest(
                        "Undo(Follow) without the followed actor".into(),
                    ));
                };
                data.db
                    .run(
                        move |conn| match account_store::by_ap_id(conn, &target_id)? {
                            Some(target) if target.is_local() => {
                                follows::drop_follow(conn, &sender, &target)
                            }
                            _ => Ok(()),
                        },
                    )
                    .await?;
            }
            "Flag" => self.receive_flag(data, sender).await?,
            _ => {}
        }
        Ok(())
    }
}

impl Incoming {
    /// A moderator's action sent to a local community, which applies it if they moderate
    /// it; or a remote community's action sent to us directly (Lemmy sends bans to the
    /// banned person's instance as well).
    async fn receive_moderation(
        &self,
        data: &Data<AppState>,
        sender: Account,
    ) -> Result<(), Error> {
        let raw = self.raw();
        let Some((community, action)) = super::moderation::parse(data, &raw).await? else {
            return self.receive_person_block(data, sender).await;
        };
        let config = data.config.clone();
        if community.is_local() {
            data.db
                .run(move |conn| {
                    moderation::receive(conn, &config, &community, &sender, &action, &raw)
                })
                .await
        } else if community.id == sender.id {
            data.db
                .run(move |conn| moderation::receive_announced(conn, &community, None, &action))
                .await
        } else {
            Ok(()) // only the community itself tells us what its moderators did
        }
    }

    /// A person's `Block` of one of ours (not a community's ban), or its `Undo`.
    async fn receive_person_block(
        &self,
        data: &Data<AppState>,
        sender: Account,
    ) -> Result<(), Error> {
        let (undo, block) = match self.kind.as_str() {
            "Block" => (false, self.raw()),
            "Undo" if self.object["type"] == "Block" => (true, self.object.clone()),
            _ => return Ok(()),
        };
        // A Block with a target is a ban from somewhere (a site, a community we do not
        // know), not one person blocking another.
        if !block["target"].is_null() {
            return Ok(());
        }
        let Some(target) = object_id(&block["object"]) else {
            return Ok(());
        };
        let target = self.local_account(target, data).await?.row;
        let block_id = object_id(&block["id"]).unwrap_or_default().to_string();
        data.db
            .run(move |conn| match undo {
                true => blocks::receive_unblock(conn, &sender, &target),
                false => blocks::receive_block(conn, &sender, &target, &block_id),
            })
            .await
    }

    /// A report: Lemmy names one post, Mastodon a list of the account and its posts.
    async fn receive_flag(&self, data: &Data<AppState>, sender: Account) -> Result<(), Error> {
        let ids: Vec<String> = match &self.object {
            Value::Array(items) => items
                .iter()
                .filter_map(object_id)
                .map(String::from)
                .collect(),
            single => object_id(single).map(String::from).into_iter().collect(),
        };
        let comment = self
            .rest
            .get("content")
            .or(self.rest.get("summary"))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let (flag_id, config) = (self.id.to_string(), data.config.clone());
        data.db
            .run(move |conn| {
                let reported = crate::store::statuses::by_ap_ids(conn, &ids)?;
                reports::receive_flag(conn, &config, &sender, &flag_id, &reported, &comment)
            })
            .await?;
        Ok(())
    }

    /// The raw activity, as received, for relaying.
    fn raw(&self) -> Value {
        let mut raw = Value::Object(self.rest.clone());
        raw["id"] = Value::from(self.id.to_string());
        raw["type"] = Value::from(self.kind.clone());
        raw["actor"] = Value::from(self.actor.inner().to_string());
        raw["object"] = self.object.clone();
        raw
    }

    /// Store the post a Create or Update carries. A copy from the sender's own origin is
    /// taken as sent; anything else is fetched from where it lives.
    async fn store_post(&self, data: &Data<AppState>) -> Result<Option<Status>, Error> {
        let id = Url::parse(self.object_id()?)?;
        let embedded_type = self.object["type"].as_str();
        if embedded_type.is_some_and(|t| !POST_TYPES.contains(&t)) {
            return Ok(None); // not a post: accepted and ignored
        }
        let same_origin = id.origin() == self.actor.inner().origin();
        let status = if same_origin && embedded_type.is_some() {
            let post: ApPost = serde_json::from_value(self.object.clone())
                .map_err(|e| Error::BadRequest(format!("unreadable {}: {e}", self.kind)))?;
            ApStatus::verify(&post, self.actor.inner(), data).await?;
            ApStatus::from_json(post, data).await?
        } else {
            ObjectId::<ApStatus>::from(id)
                .dereference_forced(data)
                .await?
        };
        Ok(Some(status.row))
    }

    /// A local community passes on what its remote members do in it.
    async fn relay_if_local_community(
        &self,
        data: &Data<AppState>,
        status: Status,
    ) -> Result<(), Error> {
        let Some(community_id) = status.community_id else {
            return Ok(());
        };
        let (raw, config) = (self.raw(), data.config.clone());
        data.db
            .run(
                move |conn| match account_store::by_id(conn, community_id)? {
                    Some(community) if community.is_local() => {
                        communities::relay(conn, &config, &community, &raw, &status)
                    }
                    _ => Ok(()),
                },
            )
            .await
    }

    /// A remote community passed on an activity of one of its members. The activity is not
    /// signed by its author, so the post is fetched from its origin rather than trusted.
    async fn receive_community_announce(
        &self,
        data: &Data<AppState>,
        community: Account,
    ) -> Result<(), Error> {
        if super::moderation::is_moderation(data, &self.object).await? {
            return self.receive_announced_moderation(data, community).await;
        }
        let inner_kind = self.object["type"].as_str().unwrap_or_default();
        let Some(target) = (match inner_kind {
            "Create" | "Update" | "Delete" => object_id(&self.object["object"]),
            _ if self.object.is_string() || POST_TYPES.contains(&inner_kind) => {
                object_id(&self.object)
            }
            _ => None,
        }) else {
            return Ok(());
        };
        let target: ObjectId<ApStatus> = ObjectId::parse(target)?;
        match target.dereference_forced(data).await {
            Ok(_) => Ok(()),
            Err(Error::Gone) => {
                let id = target.inner().to_string();
                let row = data
                    .db
                    .run(move |conn| crate::store::statuses::by_ap_id(conn, &id))
                    .await?;
                match row {
                    Some(row) => ApStatus::new(row)?.delete(data).await,
                    None => Ok(()),
                }
            }
            Err(e) => Err(e),
        }
    }
}

impl Incoming {
    /// A remote community announced what one of its moderators did in it.
    async fn receive_announced_moderation(
        &self,
        data: &Data<AppState>,
        community: Account,
    ) -> Result<(), Error> {
        let Some((concerned, action)) = super::moderation::parse(data, &self.object).await? else {
            return Ok(());
        };
        if concerned.id != community.id {
            return Err(Error::Forbidden(
                "a community may only announce moderation of its own content".into(),
            ));
        }
        let moderator = match object_id(&self.object["actor"]) {
            Some(id) => ObjectId::<ApAccount>::parse(id)?
                .dereference(data)
                .await
                .ok()
                .map(|a| a.row),
            None => None,
        };
        data.db
            .run(move |conn| {
                // The log names the actor only if we know them as a moderator.
                let moderator = match moderator {
                    Some(m) if community_store::is_moderator(conn, community.id, m.id)? => Some(m),
                    _ => None,
                };
                moderation::receive_announced(conn, &community, moderator.as_ref(), &action)
            })
            .await
    }
}

/// `POST /inbox`, `/users/{name}/inbox`, `/c/{name}/inbox`.
pub async fn inbox(ctx: Ctx, req: HttpRequest, body: Bytes) -> Result<HttpResponse, Error> {
    let envelope: Value = serde_json::from_slice(&body)
        .map_err(|e| Error::BadRequest(format!("activity is not valid JSON: {e}")))?;
    let (Some(id), Some(kind)) = (envelope["id"].as_str(), envelope["type"].as_str()) else {
        return Err(Error::BadRequest("activity needs an id and a type".into()));
    };
    if !req.headers().contains_key("signature") {
        return Err(Error::Unauthorized(
            "the request has no HTTP signature".into(),
        ));
    }
    if let Some(actor) = object_id(&envelope["actor"]).and_then(|a| Url::parse(a).ok()) {
        let (domain, config) = (crate::protocol::domain_of(&actor), ctx.config.clone());
        let decision = ctx
            .db
            .run(move |conn| policy::decide(conn, &config, &domain))
            .await?;
        if decision == policy::Decision::Refuse {
            return Err(Error::Forbidden(crate::error::REFUSED_BY_POLICY.into()));
        }
    }
    if !HANDLED.contains(&kind) {
        tracing::debug!(activity = id, kind, "ignored activity of unhandled type");
        return Ok(HttpResponse::Accepted().finish());
    }
    let id = id.to_string();
    let claim = id.clone();
    let first_time = ctx.db.run(move |conn| inbound::claim(conn, &claim)).await?;
    if !first_time {
        return Ok(HttpResponse::Accepted().finish());
    }
    let actor = object_id(&envelope["actor"]).map(str::to_string);
    let actor_domain = actor
        .as_deref()
        .and_then(|a| Url::parse(a).ok())
        .map(|u| crate::protocol::domain_of(&u));
    let mut result =
        receive_activity::<Incoming, ApAccount, AppState>(req.clone(), body.clone(), &ctx).await;
    // The actor may have rotated its key: fetch it again, once, and retry.
    if let (Err(Error::Unauthorized(_)), Some(actor)) = (&result, actor) {
        if refresh_stale_actor(&ctx, &actor).await {
            result = receive_activity::<Incoming, ApAccount, AppState>(req, body, &ctx).await;
        }
    }
    if let Err(e) = result {
        ctx.db.run(move |conn| inbound::release(conn, &id)).await?;
        return Err(e);
    }
    // The sender answers, so its instance is reachable again.
    if let Some(domain) = actor_domain {
        ctx.db
            .run(move |conn| inbound::heard_from(conn, &domain))
            .await?;
    }
    Ok(HttpResponse::Accepted().finish())
}

/// Refetch a stored remote actor whose copy is over a minute old; true if its key changed.
/// The age limit keeps forged requests from making us fetch an actor over and over.
async fn refresh_stale_actor(ctx: &Ctx, actor: &str) -> bool {
    let Ok(id) = ObjectId::<ApAccount>::parse(actor) else {
        return false;
    };
    let Ok(Some(stored)) = ApAccount::read_from_id(id.inner().clone(), ctx).await else {
        return false;
    };
    let fresh = stored
        .row
        .fetched_at
        .is_some_and(|t| crate::time::now() - t < chrono::Duration::minutes(1));
    if stored.row.is_local() || fresh {
        return false;
    }
    match id.dereference_forced(ctx).await {
        Ok(current) => current.row.public_key_pem != stored.row.public_key_pem,
        Err(e) => {
            tracing::info!("refetching {actor} after a failed signature: {e}");
            false
        }
    }
}
