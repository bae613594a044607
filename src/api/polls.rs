//! `GET /api/v1/polls/{id}` and `POST /api/v1/polls/{id}/votes`. A poll's id is its post's.

use super::auth::{Auth, MaybeAuth};
use super::params::{parse_id, string_list, Params};
use crate::error::Error;
use crate::state::Ctx;
use actix_web::{web::Path, HttpResponse};
use serde::Deserialize;

/// The poll of a status the viewer may see, as the viewer sees it.
fn poll_of(
    conn: &mut crate::db::DbConn,
    base_url: &str,
    viewer: Option<&crate::store::accounts::Account>,
    row: crate::store::statuses::Status,
) -> Result<serde_json::Value, Error> {
    let rendered = super::entities::status::render(conn, base_url, viewer, &[row])?;
    rendered
        .into_iter()
        .next()
        .and_then(|status| status.poll)
        .ok_or(Error::NotFound)
}

/// `GET /api/v1/polls/{id}`
pub async fn get(ctx: Ctx, auth: MaybeAuth, id: Path<String>) -> Result<HttpResponse, Error> {
    let base = ctx.config.base_url();
    super::statuses::read_visible(&ctx, &auth, &id, move |conn, viewer, row| {
        poll_of(conn, &base, viewer, row)
    })
    .await
}

#[derive(Deserialize)]
pub struct Votes {
    #[serde(default, deserialize_with = "string_list")]
    choices: Vec<String>,
}

/// `POST /api/v1/polls/{id}/votes`: `choices[]` are option indexes.
pub async fn vote(
    ctx: Ctx,
    auth: Auth,
    id: Path<String>,
    Params(votes): Params<Votes>,
) -> Result<HttpResponse, Error> {
    let (_, voter) = auth.user("write:statuses")?;
    let (voter, id, config) = (voter.clone(), parse_id(&id)?, ctx.config.clone());
    let choices = votes
        .choices
        .iter()
        .map(|c| {
            c.parse::<i32>()
                .map_err(|_| Error::Unprocessable(format!("choices: {c:?} is not an index")))
        })
        .collect::<Result<Vec<i32>, Error>>()?;
    let base = ctx.config.base_url();
    let poll = ctx
        .db
        .run(move |conn| {
            let row = crate::service::polls::vote(conn, &config, &voter, id, &choices)?;
            poll_of(conn, &base, Some(&voter), row)
        })
        .await?;
    Ok(HttpResponse::Ok().json(poll))
}
