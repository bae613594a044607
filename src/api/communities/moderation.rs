//! Moderators' actions: appointing moderators, bans, removing, locking and pinning posts,
//! and the public moderation log.

use super::{account_by_id, act, as_moderator, community_by_id, community_post, require_insight};
use crate::api::auth::{Auth, MaybeAuth};
use crate::api::entities::account::Account;
use crate::api::entities::time;
use crate::api::pagination::{respond_paged, PageParams};
use crate::api::params::{flexible_bool, flexible_i64, Params, Query};
use crate::error::Error;
use crate::service::moderation::{self, Action, BanOrder};
use crate::state::Ctx;
use crate::store::moderation as moderation_store;
use actix_web::{web::Path, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Value};

#[derive(Deserialize)]
pub struct AccountForm {
    account_id: String,
}

/// `POST /api/v1/guild/communities/{id}/moderators` with `account_id`
pub async fn add_moderator(
    ctx: Ctx,
    auth: Auth,
    id: Path<String>,
    Params(form): Params<AccountForm>,
) -> Result<HttpResponse, Error> {
    act(ctx, auth, id.into_inner(), move |conn| {
        let account = account_by_id(conn, &form.account_id)?;
        Ok(Action::AddModerator { account })
    })
    .await
}

/// `DELETE /api/v1/guild/communities/{id}/moderators/{account_id}`
pub async fn remove_moderator(
    ctx: Ctx,
    auth: Auth,
    path: Path<(String, String)>,
) -> Result<HttpResponse, Error> {
    let (id, account_id) = path.into_inner();
    act(ctx, auth, id, move |conn| {
        let account = account_by_id(conn, &account_id)?;
        Ok(Action::RemoveModerator { account })
    })
    .await
}

#[derive(Deserialize)]
pub struct BanForm {
    account_id: String,
    #[serde(default)]
    reason: String,
    /// Seconds until the ban ends; none for good.
    #[serde(default, deserialize_with = "flexible_i64")]
    expires_in: Option<i64>,
    #[serde(default, deserialize_with = "flexible_bool")]
    remove_content: Option<bool>,
}

/// `POST /api/v1/guild/communities/{id}/bans`
pub async fn ban(
    ctx: Ctx,
    auth: Auth,
    id: Path<String>,
    Params(form): Params<BanForm>,
) -> Result<HttpResponse, Error> {
    act(ctx, auth, id.into_inner(), move |conn| {
        let account = account_by_id(conn, &form.account_id)?;
        let expires_at = form
            .expires_in
            .map(crate::api::params::expires_in)
            .transpose()?;
        Ok(Action::Ban(BanOrder {
            account,
            reason: form.reason,
            expires_at,
            remove_content: form.remove_content.unwrap_or(false),
        }))
    })
    .await
}

/// `DELETE /api/v1/guild/communities/{id}/bans/{account_id}`
pub async fn unban(
    ctx: Ctx,
    auth: Auth,
    path: Path<(String, String)>,
) -> Result<HttpResponse, Error> {
    let (id, account_id) = path.into_inner();
    act(ctx, auth, id, move |conn| {
        let account = account_by_id(conn, &account_id)?;
        Ok(Action::Unban { account })
    })
    .await
}

/// `GET /api/v1/guild/communities/{id}/bans` (moderators)
pub async fn bans(ctx: Ctx, auth: Auth, id: Path<String>) -> Result<HttpResponse, Error> {
    let base = ctx.config.base_url();
    as_moderator(
        &ctx,
        &auth,
        "read:accounts",
        id.into_inner(),
        move |conn, community, _| {
            let bans = moderation_store::bans(conn, community.id, crate::time::now())?;
            let ids: Vec<i64> = bans.iter().map(|b| b.account_id).collect();
            let accounts = Account::list(conn, &base, &ids)?;
            Ok(bans
                .iter()
                .zip(accounts)
                .map(|(ban, account)| {
                    json!({
                        "account": account,
                        "reason": ban.reason,
                        "expires_at": ban.expires_at.map(time),
                        "created_at": time(ban.created_at),
                    })
                })
                .collect::<Vec<_>>())
        },
    )
    .await
}

#[derive(Deserialize, Default)]
pub struct ReasonForm {
    #[serde(default)]
    reason: String,
}

/// `POST /api/v1/guild/statuses/{id}/{action}`: remove, restore, lock, unlock, pin, unpin;
/// accept or unaccept a reply as the answer to its thread's question (the question's author
/// may too).
pub async fn moderate_status(
    ctx: Ctx,
    auth: Auth,
    path: Path<(String, String)>,
    Params(form): Params<ReasonForm>,
) -> Result<HttpResponse, Error> {
    let (_, me) = auth.user("write:statuses")?;
    let (me, config) = (me.clone(), ctx.config.clone());
    let (status_id, verb) = path.into_inner();
    let body = ctx
        .db
        .run(move |conn| {
            let (community, status) = community_post(conn, &me, &status_id)?;
            let action = moderation::status_action(conn, &verb, status, form.reason)?;
            moderation::act(conn, &config, &community, &me, &action)?;
            Ok(json!({ "action": action.name() }))
        })
        .await?;
    Ok(HttpResponse::Ok().json(body))
}

/// `GET /api/v1/guild/communities/{id}/moderation_log`: public, newest first, paged with
/// `Link` like Mastodon's lists.
/// A members-only community shows it to its members.
pub async fn moderation_log(
    ctx: Ctx,
    req: HttpRequest,
    auth: MaybeAuth,
    id: Path<String>,
    Query(params): Query<PageParams>,
) -> Result<HttpResponse, Error> {
    let viewer = auth.viewer("read:accounts").cloned();
    let base = ctx.config.base_url();
    respond_paged(&ctx, &req, &params, move |conn, page| {
        let community = community_by_id(conn, &id)?;
        require_insight(conn, &community, viewer.as_ref())?;
        let entries = moderation_store::log(conn, community.id, page)?;
        let mut ids: Vec<i64> = entries
            .iter()
            .flat_map(|e| [e.moderator_id, e.target_account_id])
            .flatten()
            .collect();
        ids.sort();
        ids.dedup();
        let accounts = Account::list(conn, &base, &ids)?;
        let find =
            |id: Option<i64>| id.and_then(|id| accounts.iter().find(|a| a.id == id.to_string()));
        let body: Vec<Value> = entries
            .iter()
            .map(|e| {
                json!({
                    "id": e.id.to_string(),
                    "action": e.action,
                    "moderator": find(e.moderator_id),
                    "target_account": find(e.target_account_id),
                    "target_status_id": e.target_status_id.map(|id| id.to_string()),
                    "reason": e.reason,
                    "expires_at": e.expires_at.map(time),
                    "created_at": time(e.created_at),
                })
            })
            .collect();
        Ok((entries.iter().map(|e| e.id).collect::<Vec<i64>>(), body))
    })
    .await
}

/// `GET /api/v1/guild/communities/{id}/export`: for moderators, the community's threads as
/// Markdown files in a zip archive.
pub async fn export(ctx: Ctx, auth: Auth, id: Path<String>) -> Result<HttpResponse, Error> {
    let (_, me) = auth.user("read:statuses")?;
    let (me, config) = (me.clone(), ctx.config.clone());
    let (name, body) = ctx
        .db
        .run(move |conn| {
            let community = community_by_id(conn, &id)?;
            let archive =
                crate::service::export::community_archive(conn, &config, &me, &community)?;
            Ok((community.profile.username, archive))
        })
        .await?;
    Ok(archive_response(&name, body))
}

/// A zip archive to download as `{name}-threads.zip`.
pub fn archive_response(name: &str, body: Vec<u8>) -> HttpResponse {
    let disposition = format!("attachment; filename=\"{name}-threads.zip\"");
    HttpResponse::Ok()
        .content_type("application/zip")
        .insert_header(("Content-Disposition", disposition))
        .insert_header(("Cache-Control", "private, no-store"))
        .body(body)
}
