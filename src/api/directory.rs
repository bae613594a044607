//! `GET /api/v1/directory` (Mastodon): discoverable people and communities.

use crate::api::entities::account::Account;
use crate::api::params::{flexible_bool, flexible_i64, Query};
use crate::error::Error;
use crate::state::Ctx;
use crate::store::accounts as account_store;
use actix_web::HttpResponse;
use serde::Deserialize;

#[derive(Deserialize)]
pub struct MastodonDirectory {
    #[serde(default, deserialize_with = "flexible_i64")]
    offset: Option<i64>,
    #[serde(default, deserialize_with = "flexible_i64")]
    limit: Option<i64>,
    order: Option<String>,
    #[serde(default, deserialize_with = "flexible_bool")]
    local: Option<bool>,
}

/// `GET /api/v1/directory` (Mastodon): discoverable people and communities.
pub async fn directory(
    ctx: Ctx,
    Query(params): Query<MastodonDirectory>,
) -> Result<HttpResponse, Error> {
    let base = ctx.config.base_url();
    let offset = params.offset.unwrap_or(0).max(0);
    let limit = params.limit.unwrap_or(40).clamp(1, 80);
    let newest = params.order.as_deref() == Some("new");
    let local = params.local.unwrap_or(false);
    let rows = ctx
        .db
        .run(move |conn| account_store::directory(conn, local, newest, offset, limit))
        .await?;
    let body: Vec<Account> = rows.iter().map(|a| Account::from_row(a, &base)).collect();
    Ok(HttpResponse::Ok().json(body))
}
