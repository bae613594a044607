//! `/api/v1/tags` and `/api/v1/followed_tags`: hashtags and following them.

use super::auth::Auth;
use super::pagination::{respond_paged, PageParams};
use super::params::Query;
use crate::db::DbConn;
use crate::error::Error;
use crate::service::tags as tag_service;
use crate::state::Ctx;
use crate::store::tags;
use actix_web::{web::Path, HttpRequest, HttpResponse};
use serde_json::{json, Value};

/// A Tag entity. Tags have no table of their own, so the name is the id; usage history is
/// not counted.
pub fn tag_json(base: &str, name: &str, following: Option<bool>) -> Value {
    let url = format!("{base}/tags/{name}");
    let mut tag = json!({ "id": name, "name": name, "url": url, "history": [] });
    if let Some(following) = following {
        tag["following"] = Value::from(following);
    }
    tag
}

async fn answer(
    ctx: Ctx,
    auth: Auth,
    name: Path<String>,
    scope: &str,
    change: fn(&mut DbConn, i64, &str) -> Result<(), Error>,
) -> Result<HttpResponse, Error> {
    let me = auth.user(scope)?.1.id;
    let (name, base) = (tag_service::normalise(&name)?, ctx.config.base_url());
    let body = ctx
        .db
        .run(move |conn| {
            change(conn, me, &name)?;
            let following = !tags::followed(conn, me, std::slice::from_ref(&name))?.is_empty();
            Ok(tag_json(&base, &name, Some(following)))
        })
        .await?;
    Ok(HttpResponse::Ok().json(body))
}

/// `GET /api/v1/tags/{name}`
pub async fn get(ctx: Ctx, auth: Auth, name: Path<String>) -> Result<HttpResponse, Error> {
    answer(ctx, auth, name, "read:follows", |_, _, _| Ok(())).await
}

/// `POST /api/v1/tags/{name}/follow`: its public posts come to the home timeline.
pub async fn follow(ctx: Ctx, auth: Auth, name: Path<String>) -> Result<HttpResponse, Error> {
    answer(ctx, auth, name, "write:follows", tag_service::follow).await
}

/// `POST /api/v1/tags/{name}/unfollow`
pub async fn unfollow(ctx: Ctx, auth: Auth, name: Path<String>) -> Result<HttpResponse, Error> {
    answer(ctx, auth, name, "write:follows", tag_service::unfollow).await
}

/// `GET /api/v1/followed_tags`
pub async fn followed(
    ctx: Ctx,
    req: HttpRequest,
    auth: Auth,
    Query(params): Query<PageParams>,
) -> Result<HttpResponse, Error> {
    let me = auth.user("read:follows")?.1.id;
    let base = ctx.config.base_url();
    respond_paged(&ctx, &req, &params, move |conn, page| {
        let rows = tags::followed_page(conn, me, page)?;
        let cursor = rows.iter().map(|(id, _)| *id).collect();
        let body: Vec<Value> = rows
            .iter()
            .map(|(_, name)| tag_json(&base, name, Some(true)))
            .collect();
        Ok((cursor, body))
    })
    .await
}
