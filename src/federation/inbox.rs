//! Personal and shared inboxes. Every POST is checked by the federation library (body digest,
//! HTTP signature against the actor's key, activity id on the actor's origin); an activity id
//! seen before is acknowledged and not processed again; unknown types are accepted and ignored.

use super::actors::ApAccount;
use super::incoming::Incoming;
use crate::error::Error;
use crate::policy;
use crate::protocol::{activity::Kind, id_of};
use crate::service::inbound;
use crate::state::{AppState, Ctx};
use activitypub_federation::{
    actix_web::inbox::receive_activity, fetch::object_id::ObjectId, traits::Object,
};
use actix_web::{web::Bytes, HttpRequest, HttpResponse};
use serde_json::Value;
use url::Url;

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
    if let Some(actor) = id_of(&envelope["actor"]).and_then(|a| Url::parse(a).ok()) {
        let (domain, config) = (crate::protocol::domain_of(&actor), ctx.config.clone());
        let decision = ctx
            .db
            .run(move |conn| policy::decide(conn, &config, &domain))
            .await?;
        if decision == policy::Decision::Refuse {
            return Err(Error::Forbidden(crate::error::REFUSED_BY_POLICY.into()));
        }
    }
    if Kind::parse(kind).is_none() {
        tracing::debug!(activity = id, kind, "ignored activity of unhandled type");
        return Ok(HttpResponse::Accepted().finish());
    }
    let id = id.to_string();
    let claim = id.clone();
    let first_time = ctx.db.run(move |conn| inbound::claim(conn, &claim)).await?;
    if !first_time {
        return Ok(HttpResponse::Accepted().finish());
    }
    let actor = id_of(&envelope["actor"]).map(str::to_string);
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
