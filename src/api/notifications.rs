//! `/api/v1/notifications`: list (with `types[]` and `exclude_types[]`), get, dismiss, clear.

use super::auth::Auth;
use super::entities::{account::Account, status, time};
use super::pagination::{paged_response, PageParams};
use super::params::{parse_id, string_list, Query};
use crate::db::DbConn;
use crate::error::Error;
use crate::service::notifications as notification_service;
use crate::state::Ctx;
use crate::store::{
    accounts::{self, Account as AccountRow, Profile},
    notifications::{self, Notification},
    statuses,
};
use actix_web::{web::Path, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::HashMap;

/// Render notifications with their accounts and statuses, one query for each kind.
pub(crate) fn render(
    conn: &mut DbConn,
    base: &str,
    viewer: &AccountRow,
    rows: &[Notification],
) -> Result<Vec<Value>, Error> {
    let report_ids: Vec<i64> = rows.iter().filter_map(|n| n.report_id).collect();
    let reports: HashMap<i64, crate::store::moderation::Report> =
        crate::store::moderation::reports_by_ids(conn, &report_ids)?
            .into_iter()
            .map(|r| (r.id, r))
            .collect();
    let account_ids: Vec<i64> = rows
        .iter()
        .map(|n| n.from_account_id)
        .chain(reports.values().map(|r| r.target_account_id))
        .collect();
    let accounts: HashMap<i64, Profile> = accounts::profiles_by_ids(conn, &account_ids)?
        .into_iter()
        .map(|a| (a.id, a))
        .collect();
    let status_ids: Vec<i64> = rows.iter().filter_map(|n| n.status_id).collect();
    let status_rows = statuses::by_ids(conn, &status_ids)?;
    let mut status_rows = crate::service::visibility::filter_notified(conn, viewer, status_rows)?;
    crate::service::filters::retain_shown(conn, viewer.id, &mut status_rows, "notifications")?;
    let rendered = status::render(conn, base, Some(viewer), &status_rows)?;
    let statuses: HashMap<String, &status::Status> =
        rendered.iter().map(|s| (s.id.clone(), s)).collect();
    Ok(rows
        .iter()
        .filter_map(|n| {
            let account = accounts.get(&n.from_account_id)?;
            let status = n.status_id.and_then(|id| statuses.get(&id.to_string()));
            if n.status_id.is_some() && status.is_none() {
                return None; // the status is gone
            }
            let mut body = json!({
                "id": n.id.to_string(),
                "type": n.kind,
                "created_at": time(n.created_at),
                "group_key": format!("ungrouped-{}", n.id),
                "account": Account::from_row(account, base),
                "status": status,
            });
            if let Some(id) = n.report_id {
                let report = reports.get(&id)?;
                let target = accounts.get(&report.target_account_id)?;
                body["report"] =
                    super::entities::community::mastodon_report_json(report, target, base);
            }
            Some(body)
        })
        .collect())
}

#[derive(Deserialize)]
pub struct ListParams {
    #[serde(flatten)]
    page: PageParams,
    #[serde(default, deserialize_with = "string_list")]
    types: Vec<String>,
    #[serde(default, deserialize_with = "string_list")]
    exclude_types: Vec<String>,
}

/// `GET /api/v1/notifications`
pub async fn list(
    ctx: Ctx,
    req: HttpRequest,
    auth: Auth,
    Query(params): Query<ListParams>,
) -> Result<HttpResponse, Error> {
    let (_, viewer) = auth.user("read:notifications")?;
    let (viewer, base, page) = (viewer.clone(), ctx.config.base_url(), params.page.page());
    let (ids, body) = ctx
        .db
        .run(move |conn| {
            let rows =
                notifications::page(conn, viewer.id, &params.types, &params.exclude_types, page)?;
            let ids: Vec<i64> = rows.iter().map(|n| n.id).collect();
            Ok((ids, render(conn, &base, &viewer, &rows)?))
        })
        .await?;
    Ok(paged_response(&req, &ctx.config.base_url(), page, &ids).json(body))
}

/// `GET /api/v1/notifications/{id}`
pub async fn get(ctx: Ctx, auth: Auth, id: Path<String>) -> Result<HttpResponse, Error> {
    let (_, viewer) = auth.user("read:notifications")?;
    let (viewer, base, id) = (viewer.clone(), ctx.config.base_url(), parse_id(&id)?);
    let body = ctx
        .db
        .run(move |conn| {
            let row = notifications::by_id(conn, viewer.id, id)?.ok_or(Error::NotFound)?;
            render(conn, &base, &viewer, &[row])?
                .pop()
                .ok_or(Error::NotFound)
        })
        .await?;
    Ok(HttpResponse::Ok().json(body))
}

/// `POST /api/v1/notifications/{id}/dismiss`
pub async fn dismiss(ctx: Ctx, auth: Auth, id: Path<String>) -> Result<HttpResponse, Error> {
    let (_, viewer) = auth.user("write:notifications")?;
    let (viewer_id, id) = (viewer.id, parse_id(&id)?);
    ctx.db
        .run(move |conn| notification_service::dismiss(conn, viewer_id, Some(id)))
        .await?;
    Ok(HttpResponse::Ok().json(json!({})))
}

/// `POST /api/v1/notifications/clear`
pub async fn clear(ctx: Ctx, auth: Auth) -> Result<HttpResponse, Error> {
    let (_, viewer) = auth.user("write:notifications")?;
    let viewer_id = viewer.id;
    ctx.db
        .run(move |conn| notification_service::dismiss(conn, viewer_id, None))
        .await?;
    Ok(HttpResponse::Ok().json(json!({})))
}
