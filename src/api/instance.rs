//! `GET /api/v1/instance` and `GET /api/v2/instance`.

use super::entities::{account::Account, instance};
use crate::error::Error;
use crate::state::Ctx;
use crate::store::{self, accounts, stats, users};
use actix_web::HttpResponse;

async fn load(ctx: &Ctx) -> Result<(stats::InstanceStats, Option<Account>), Error> {
    let base = ctx.config.base_url();
    let contact = ctx
        .db
        .run(move |conn| {
            let contact = match users::first_admin(conn)? {
                Some(admin) => accounts::by_id(conn, admin.account_id)?
                    .map(|row| Account::from_row(&row, &base)),
                None => None,
            };
            Ok(contact)
        })
        .await?;
    Ok((ctx.stats.get(&ctx.db).await?, contact))
}

pub async fn v1(ctx: Ctx) -> Result<HttpResponse, Error> {
    let (stats, contact) = load(&ctx).await?;
    let thumbnail = format!("{}/static/thumbnail.png", ctx.config.base_url());
    Ok(HttpResponse::Ok().json(instance::v1(&ctx.config, &stats, contact, &thumbnail)))
}

pub async fn v2(ctx: Ctx) -> Result<HttpResponse, Error> {
    let (stats, contact) = load(&ctx).await?;
    let thumbnail = format!("{}/static/thumbnail.png", ctx.config.base_url());
    Ok(HttpResponse::Ok().json(instance::v2(&ctx.config, &stats, contact, &thumbnail)))
}

/// `GET /healthz`: 200 while the database answers.
pub async fn healthz(ctx: Ctx) -> Result<HttpResponse, Error> {
    ctx.db
        .run(|conn| store::settings::get(conn, "health").map(|_| ()))
        .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "status": "ok" })))
}
