//! Personal and shared inboxes. Every POST is checked here: the HTTP signature (draft-cavage
//! or RFC 9421, fresh either way) against the actor's key, the body against its digest, the
//! activity id on the actor's origin. Only then is the id claimed: an activity seen before is
//! acknowledged and not processed again. Unknown types are accepted and ignored.

use super::actors::ApAccount;
use super::incoming::Incoming;
use super::signatures::{check_digest, sent_target, Request, Signature};
use crate::error::Error;
use crate::policy;
use crate::protocol::{activity::Kind, id_of, require_same_origin};
use crate::service::inbound;
use crate::state::Ctx;
use activitypub_federation::{fetch::object_id::ObjectId, traits::Object};
use actix_web::{web::Bytes, HttpRequest, HttpResponse};
use serde_json::Value;
use url::Url;

/// What became of an activity that was let in.
enum Received {
    Processed,
    /// Seen before: acknowledged, not processed again.
    Duplicate,
    /// A type Guild does not act on.
    Ignored,
}

/// `POST /inbox`, `/users/{name}/inbox`, `/c/{name}/inbox`.
pub async fn inbox(ctx: Ctx, req: HttpRequest, body: Bytes) -> Result<HttpResponse, Error> {
    let envelope = serde_json::from_slice::<Value>(&body)
        .map_err(|e| Error::BadRequest(format!("activity is not valid JSON: {e}")));
    let kind = envelope.as_ref().ok().and_then(|e| e["type"].as_str());
    let kind = kind.and_then(Kind::parse).map_or("other", Kind::as_str);
    let outcome = match envelope {
        Ok(envelope) => receive(&ctx, &req, &body, envelope).await,
        Err(e) => Err(e),
    };
    let result = match &outcome {
        Ok(Received::Processed) => "processed",
        Ok(Received::Duplicate) => "duplicate",
        Ok(Received::Ignored) => "ignored",
        Err(Error::BadRequest(_)) => "invalid",
        Err(Error::Unauthorized(_)) => "unauthorized",
        Err(Error::Forbidden(_)) => "refused",
        Err(_) => "error",
    };
    ctx.metrics.inbound(kind, result);
    outcome.map(|_| HttpResponse::Accepted().finish())
}

async fn receive(
    ctx: &Ctx,
    req: &HttpRequest,
    body: &Bytes,
    envelope: Value,
) -> Result<Received, Error> {
    let (Some(id), Some(kind)) = (envelope["id"].as_str(), envelope["type"].as_str()) else {
        return Err(Error::BadRequest("activity needs an id and a type".into()));
    };
    let base_url = ctx.config.base_url();
    let target = sent_target(req);
    let signature = Signature::of(&Request::of(req, &target, &base_url, true))?
        .ok_or_else(|| Error::Unauthorized("the request has no HTTP signature".into()))?;
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
        return Ok(Received::Ignored);
    }
    check_digest(req.headers(), body)?;
    let activity: Incoming = serde_json::from_value(envelope)
        .map_err(|e| Error::BadRequest(format!("unreadable activity: {e}")))?;
    let actor = activity.actor().clone();
    require_same_origin(activity.id(), &actor)?;
    if crate::protocol::domain_of(&actor) == ctx.config.domain {
        return Err(Error::BadRequest(
            "an activity of this instance's own".into(),
        ));
    }
    let signer = ObjectId::<ApAccount>::from(actor).dereference(ctx).await?;
    // The actor may have rotated its key: fetch it again, once, and check again.
    if !signature.verify(&signer.row.public_key_pem)? {
        let rotated = refresh_stale_actor(ctx, &signer).await;
        if !rotated.is_some_and(|key| signature.verify(&key).unwrap_or(false)) {
            return Err(Error::Unauthorized(
                "HTTP signature does not verify with the actor's key".into(),
            ));
        }
    }
    if signer.row.suspended {
        return Err(Error::Forbidden(
            "the actor is suspended by this instance's administrators".into(),
        ));
    }
    // Claimed only now: a forged copy that raced the real one cannot make it be skipped.
    let id = activity.id().to_string();
    let claim = id.clone();
    if !ctx.db.run(move |conn| inbound::claim(conn, &claim)).await? {
        return Ok(Received::Duplicate);
    }
    if let Err(e) = activity.handle(ctx).await {
        ctx.db.run(move |conn| inbound::release(conn, &id)).await?;
        return Err(e);
    }
    // The sender answers, so its instance is reachable again; what it runs is learnt once.
    let domain = signer.row.domain.clone().unwrap_or_default();
    ctx.db
        .run(move |conn| inbound::heard_from(conn, &domain))
        .await?;
    let origin = signer.id().clone();
    tokio::spawn(super::software::learn(ctx.app_data().clone(), origin));
    Ok(Received::Processed)
}

/// Refetch a stored remote actor whose copy is over a minute old; its new key, if it
/// changed. The age limit keeps forged requests from making us fetch an actor over and over.
async fn refresh_stale_actor(ctx: &Ctx, stored: &ApAccount) -> Option<String> {
    let fresh = stored
        .row
        .fetched_at
        .is_some_and(|t| crate::time::now() - t < chrono::Duration::minutes(1));
    if stored.row.is_local() || fresh {
        return None;
    }
    let id = ObjectId::<ApAccount>::from(stored.id().clone());
    match id.dereference_forced(ctx).await {
        Ok(current) if current.row.public_key_pem != stored.row.public_key_pem => {
            Some(current.row.public_key_pem)
        }
        Ok(_) => None,
        Err(e) => {
            tracing::info!(
                "refetching {} after a failed signature: {e}",
                stored.row.ap_id
            );
            None
        }
    }
}
