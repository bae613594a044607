//! Reports of posts to a community's moderators, in Guild's shape and Mastodon's
//! (`POST /api/v1/reports`).

use super::{account_by_id, as_moderator, community_post};
use crate::api::auth::Auth;
use crate::api::entities::community::{self as entity};
use crate::api::params::{flexible_bool, flexible_i64, parse_id, Params, Query};
use crate::error::Error;
use crate::service::reports;
use crate::state::Ctx;
use crate::store::moderation as moderation_store;
use actix_web::{web::Path, HttpResponse};
use serde::Deserialize;
use serde_json::json;

#[derive(Deserialize, Default)]
pub struct ReportForm {
    #[serde(default)]
    comment: String,
}

/// `POST /api/v1/guild/statuses/{id}/report`: tell the community's moderators.
pub async fn report(
    ctx: Ctx,
    auth: Auth,
    id: Path<String>,
    Params(form): Params<ReportForm>,
) -> Result<HttpResponse, Error> {
    let (_, me) = auth.user("write:reports")?;
    let (me, config) = (me.clone(), ctx.config.clone());
    let body = ctx
        .db
        .run(move |conn| {
            let (_, status) = community_post(conn, &me, &id)?;
            let report = reports::report(conn, &config, &me, &status, &form.comment)?;
            Ok(entity::report_json(&report))
        })
        .await?;
    Ok(HttpResponse::Ok().json(body))
}

#[derive(Deserialize)]
pub struct ReportsParams {
    #[serde(default, deserialize_with = "flexible_bool")]
    resolved: Option<bool>,
    #[serde(default, deserialize_with = "flexible_i64")]
    max_id: Option<i64>,
}

/// `GET /api/v1/guild/communities/{id}/reports` (moderators): open ones unless `resolved`.
pub async fn community_reports(
    ctx: Ctx,
    auth: Auth,
    id: Path<String>,
    Query(params): Query<ReportsParams>,
) -> Result<HttpResponse, Error> {
    as_moderator(
        &ctx,
        &auth,
        "read:reports",
        id.into_inner(),
        move |conn, community, _| {
            let all = params.resolved.unwrap_or(false);
            let list = moderation_store::reports(conn, community.id, all, params.max_id, 40)?;
            Ok(list.iter().map(entity::report_json).collect::<Vec<_>>())
        },
    )
    .await
}

/// `POST /api/v1/guild/communities/{id}/reports/{report_id}/resolve`
pub async fn resolve_report(
    ctx: Ctx,
    auth: Auth,
    path: Path<(String, String)>,
) -> Result<HttpResponse, Error> {
    let (id, report_id) = path.into_inner();
    as_moderator(
        &ctx,
        &auth,
        "write:reports",
        id,
        move |conn, community, me| {
            reports::resolve(conn, me, community, parse_id(&report_id)?)?;
            Ok(json!({}))
        },
    )
    .await
}

#[derive(Deserialize)]
pub struct MastodonReport {
    account_id: String,
    #[serde(default)]
    status_ids: Vec<String>,
    #[serde(default)]
    comment: String,
}

/// `POST /api/v1/reports` (Mastodon): each reported post that is in a community reaches its
/// moderators. Guild has no instance-wide report queue yet, so a report naming no such post
/// is refused rather than dropped.
pub async fn mastodon_report(
    ctx: Ctx,
    auth: Auth,
    Params(form): Params<MastodonReport>,
) -> Result<HttpResponse, Error> {
    let (_, me) = auth.user("write:reports")?;
    let (me, config, base) = (me.clone(), ctx.config.clone(), ctx.config.base_url());
    let body = ctx
        .db
        .run(move |conn| {
            let target = account_by_id(conn, &form.account_id)?;
            let mut filed = Vec::new();
            for id in &form.status_ids {
                let (_, status) = community_post(conn, &me, id)?;
                if status.account_id != target.id {
                    return Err(Error::Unprocessable(format!(
                        "status {id} is not by account {}",
                        form.account_id
                    )));
                }
                filed.push(reports::report(conn, &config, &me, &status, &form.comment)?);
            }
            let first = filed.first().ok_or_else(|| {
                Error::Unprocessable(
                    "name at least one post in a community (status_ids); reports go to \
                     community moderators"
                        .into(),
                )
            })?;
            let mut body = entity::mastodon_report_json(first, &target, &base);
            body["status_ids"] = json!(form.status_ids);
            Ok(body)
        })
        .await?;
    Ok(HttpResponse::Ok().json(body))
}
