//! Who is in a community: join requests and their decisions, invites and their use.

use super::{account_by_id, as_moderator, community_by_id};
use crate::api::auth::{Auth, MaybeAuth};
use crate::api::entities::account::Account;
use crate::api::entities::community::{self as entity, community_json};
use crate::api::pagination::PageParams;
use crate::api::params::{flexible_i64, parse_id, Params};
use crate::domain::FollowState;
use crate::error::Error;
use crate::federation::resolve;
use crate::service::{communities, invites};
use crate::state::Ctx;
use crate::store::{follows, moderation as moderation_store};
use actix_web::{web::Path, HttpResponse};
use serde::Deserialize;
use serde_json::json;

/// `GET /api/v1/guild/communities/{id}/join_requests` (moderators)
pub async fn join_requests(ctx: Ctx, auth: Auth, id: Path<String>) -> Result<HttpResponse, Error> {
    let base = ctx.config.base_url();
    as_moderator(
        &ctx,
        &auth,
        "read:follows",
        id.into_inner(),
        move |conn, community, _| {
            let page = PageParams::default().page();
            let rows =
                follows::page_account_ids(conn, community.id, true, FollowState::Pending, page)?;
            let ids: Vec<i64> = rows.iter().map(|(_, a)| *a).collect();
            Account::list(conn, &base, &ids)
        },
    )
    .await
}

/// `POST /api/v1/guild/communities/{id}/join_requests/{account_id}/{authorize|reject}`
pub async fn decide_join(
    ctx: Ctx,
    auth: Auth,
    path: Path<(String, String, String)>,
) -> Result<HttpResponse, Error> {
    let (_, me) = auth.user("write:follows")?;
    let (me, config) = (me.clone(), ctx.config.clone());
    let (id, account_id, decision) = path.into_inner();
    let accept = decision == "authorize";
    ctx.db
        .run(move |conn| {
            let community = community_by_id(conn, &id)?;
            let requester = account_by_id(conn, &account_id)?;
            communities::decide_join(conn, &config, &me, &community, &requester, accept)
        })
        .await?;
    Ok(HttpResponse::Ok().json(json!({ "accepted": accept })))
}

#[derive(Deserialize)]
pub struct InviteForm {
    #[serde(default, deserialize_with = "flexible_i64")]
    max_uses: Option<i64>,
    #[serde(default, deserialize_with = "flexible_i64")]
    expires_in: Option<i64>,
}

/// `POST /api/v1/guild/communities/{id}/invites`: the token is shown this once.
pub async fn create_invite(
    ctx: Ctx,
    auth: Auth,
    id: Path<String>,
    Params(form): Params<InviteForm>,
) -> Result<HttpResponse, Error> {
    let (_, me) = auth.user("write:follows")?;
    let (me, base) = (me.clone(), ctx.config.base_url());
    let expires_at = form
        .expires_in
        .map(crate::api::params::expires_in)
        .transpose()?;
    let max_uses = form
        .max_uses
        .map(|n| i32::try_from(n).map_err(|_| Error::Unprocessable("max_uses is too large".into())))
        .transpose()?;
    let body = ctx
        .db
        .run(move |conn| {
            let community = community_by_id(conn, &id)?;
            let (invite, token) = invites::create(conn, &me, &community, max_uses, expires_at)?;
            Ok(entity::invite_json(&base, &invite, Some(&token)))
        })
        .await?;
    Ok(HttpResponse::Ok().json(body))
}

/// `GET /api/v1/guild/communities/{id}/invites` (moderators)
pub async fn invites(ctx: Ctx, auth: Auth, id: Path<String>) -> Result<HttpResponse, Error> {
    let base = ctx.config.base_url();
    as_moderator(
        &ctx,
        &auth,
        "read:follows",
        id.into_inner(),
        move |conn, community, _| {
            let list = moderation_store::invites(conn, community.id)?;
            Ok(list
                .iter()
                .map(|i| entity::invite_json(&base, i, None))
                .collect::<Vec<_>>())
        },
    )
    .await
}

/// `DELETE /api/v1/guild/communities/{id}/invites/{invite_id}`
pub async fn revoke_invite(
    ctx: Ctx,
    auth: Auth,
    path: Path<(String, String)>,
) -> Result<HttpResponse, Error> {
    let (id, invite_id) = path.into_inner();
    as_moderator(
        &ctx,
        &auth,
        "write:follows",
        id,
        move |conn, community, me| {
            invites::revoke(conn, me, community, parse_id(&invite_id)?)?;
            Ok(json!({}))
        },
    )
    .await
}

#[derive(Deserialize)]
pub struct RedeemForm {
    /// For someone on another instance: their `name@domain`. Signed-in people join as
    /// themselves.
    acct: Option<String>,
}

/// `POST /api/v1/guild/invites/{token}`: join with an invite. A signed-in person joins at
/// once; a person named by `acct` (here or on another instance) is admitted when they join
/// from their own app.
pub async fn redeem_invite(
    ctx: Ctx,
    auth: MaybeAuth,
    token: Path<String>,
    Params(form): Params<RedeemForm>,
) -> Result<HttpResponse, Error> {
    let (account, joins) = match (&auth.0, form.acct) {
        (Some(_), _) => {
            let Some(me) = auth.viewer("write:follows") else {
                return Err(Error::Forbidden(
                    "This action is outside the authorized scopes (needs write:follows)".into(),
                ));
            };
            (me.clone(), true)
        }
        (None, Some(acct)) => (resolve::account(&ctx, &acct).await?, false),
        (None, None) => {
            return Err(Error::Unprocessable(
                "sign in, or give acct (name@domain) to join from another instance".into(),
            ))
        }
    };
    let (config, base) = (ctx.config.clone(), ctx.config.base_url());
    let body = ctx
        .db
        .run(move |conn| {
            let community = invites::redeem(conn, &config, &token, &account, joins)?;
            community_json(conn, &base, &community, Some(&account))
        })
        .await?;
    Ok(HttpResponse::Ok().json(body))
}
