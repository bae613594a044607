//! Signed GETs: the instance actor that signs our fetches, and checking the signature on
//! fetches of our documents when `authorized_fetch` is on (Mastodon's secure mode).

use super::actors::ApAccount;
use super::signatures::{sent_target, Request, Signature};
use crate::error::Error;
use crate::policy::{self, Decision};
use crate::state::Ctx;
use activitypub_federation::fetch::object_id::ObjectId;
use actix_web::HttpRequest;

/// The actor that signed this GET, if it is signed; an invalid signature is a 401.
pub async fn signer(ctx: &Ctx, req: &HttpRequest) -> Result<Option<ApAccount>, Error> {
    let base_url = ctx.config.base_url();
    let target = sent_target(req);
    let Some(signature) = Signature::of(&Request::of(req, &target, &base_url, false))? else {
        return Ok(None);
    };
    let actor = ObjectId::<ApAccount>::parse(signature.actor_id())
        .map_err(|_| Error::Unauthorized("the signature's key id is not a URL".into()))?
        .dereference(ctx)
        .await?;
    if !signature.verify(&actor.row.public_key_pem)? {
        return Err(Error::Unauthorized(
            "HTTP signature does not verify: wrong signature".into(),
        ));
    }
    Ok(Some(actor))
}

/// With `authorized_fetch` on, only signed fetches by actors of domains we federate with get
/// ActivityPub documents; otherwise anyone does.
pub async fn require(ctx: &Ctx, req: &HttpRequest) -> Result<(), Error> {
    if !ctx.config.authorized_fetch {
        return Ok(());
    }
    require_signer(ctx, req).await.map(|_| ())
}

/// The signer of this GET (refused by policy like [`signer_allowed`]); with
/// `authorized_fetch` on, an unsigned request is a 401.
pub async fn require_signer(ctx: &Ctx, req: &HttpRequest) -> Result<Option<ApAccount>, Error> {
    let signer = signer_allowed(ctx, req).await?;
    if signer.is_none() && ctx.config.authorized_fetch {
        return Err(Error::Unauthorized(
            "this instance requires signed fetches".into(),
        ));
    }
    Ok(signer)
}

/// The actor that signed this GET, if any, refused when its domain is not federated with.
pub async fn signer_allowed(ctx: &Ctx, req: &HttpRequest) -> Result<Option<ApAccount>, Error> {
    let Some(actor) = signer(ctx, req).await? else {
        return Ok(None);
    };
    let (domain, config) = (
        actor.row.domain.clone().unwrap_or_default(),
        ctx.config.clone(),
    );
    if ctx
        .db
        .run(move |conn| policy::decide(conn, &config, &domain))
        .await?
        == Decision::Refuse
    {
        return Err(Error::Forbidden(crate::error::REFUSED_BY_POLICY.into()));
    }
    Ok(Some(actor))
}
