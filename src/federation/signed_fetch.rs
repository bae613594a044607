//! Signed GETs: the instance actor that signs our fetches, and checking the signature on
//! fetches of our documents when `authorized_fetch` is on (Mastodon's secure mode).

use super::actors::ApAccount;
use crate::error::Error;
use crate::policy::{self, Decision};
use crate::state::Ctx;
use activitypub_federation::fetch::object_id::ObjectId;
use actix_web::HttpRequest;
use base64::{engine::general_purpose::STANDARD, Engine};
use openssl::{hash::MessageDigest, pkey::PKey, sign::Verifier};

/// Parts of a `Signature` header.
struct SignatureHeader {
    key_id: String,
    headers: Vec<String>,
    signature: Vec<u8>,
    /// `(created)` and `(expires)` of newer drafts, as sent in the header's parameters.
    created: Option<String>,
    expires: Option<String>,
}

fn parse(value: &str) -> Option<SignatureHeader> {
    let mut key_id = None;
    let mut headers = vec!["date".to_string()];
    let mut signature = None;
    let (mut created, mut expires) = (None, None);
    for part in value.split(',') {
        let (name, quoted) = part.trim().split_once('=')?;
        let text = quoted.trim_matches('"');
        match name {
            "keyId" => key_id = Some(text.to_string()),
            "headers" => headers = text.split(' ').map(str::to_ascii_lowercase).collect(),
            "signature" => signature = STANDARD.decode(text).ok(),
            "created" => created = Some(text.to_string()),
            "expires" => expires = Some(text.to_string()),
            _ => {}
        }
    }
    Some(SignatureHeader {
        key_id: key_id?,
        headers,
        signature: signature?,
        created,
        expires,
    })
}

/// The string the sender signed, rebuilt from this request.
fn signing_string(req: &HttpRequest, header: &SignatureHeader) -> Option<String> {
    let lines: Option<Vec<String>> = header
        .headers
        .iter()
        .map(|name| match name.as_str() {
            "(created)" => header.created.as_ref().map(|c| format!("(created): {c}")),
            "(expires)" => header.expires.as_ref().map(|e| format!("(expires): {e}")),
            "(request-target)" => Some(format!(
                "(request-target): {} {}",
                req.method().as_str().to_ascii_lowercase(),
                req.uri().path_and_query().map_or("/", |p| p.as_str())
            )),
            name => req
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(|v| format!("{name}: {v}")),
        })
        .collect();
    Some(lines?.join("\n"))
}

/// The actor that signed this GET, if it is signed; an invalid signature is a 401.
pub async fn signer(ctx: &Ctx, req: &HttpRequest) -> Result<Option<ApAccount>, Error> {
    let Some(value) = req.headers().get("signature").and_then(|v| v.to_str().ok()) else {
        return Ok(None);
    };
    let invalid = |why: &str| Error::Unauthorized(format!("HTTP signature does not verify: {why}"));
    let header = parse(value).ok_or_else(|| invalid("malformed Signature header"))?;
    if !header.headers.iter().any(|h| h == "(request-target)") {
        return Err(invalid("(request-target) is not signed"));
    }
    let expired = header
        .expires
        .as_ref()
        .and_then(|e| e.parse::<i64>().ok())
        .is_some_and(|e| e < chrono::Utc::now().timestamp());
    if expired {
        return Err(invalid("the signature has expired"));
    }
    let text = signing_string(req, &header).ok_or_else(|| invalid("a signed header is missing"))?;
    let actor_id = header.key_id.split('#').next().unwrap_or_default();
    let actor = ObjectId::<ApAccount>::parse(actor_id)
        .map_err(|_| invalid("keyId is not a URL"))?
        .dereference(ctx)
        .await?;
    let key = PKey::public_key_from_pem(actor.row.public_key_pem.as_bytes())?;
    let mut verifier = Verifier::new(MessageDigest::sha256(), &key)?;
    verifier.update(text.as_bytes())?;
    if !verifier.verify(&header.signature)? {
        return Err(invalid("wrong signature"));
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
