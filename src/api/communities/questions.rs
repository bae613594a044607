//! A community's questions that wait for an answer.

use super::{community_by_id, require_insight};
use crate::api::auth::MaybeAuth;
use crate::api::entities::status::render;
use crate::api::pagination::{respond_paged, PageParams};
use crate::api::params::Query;
use crate::error::Error;
use crate::state::Ctx;
use actix_web::{web::Path, HttpRequest, HttpResponse};

/// `GET /api/v1/guild/communities/{id}/questions`: threads asked as questions without an
/// accepted answer, newest first, as the viewer may see them; paged with `Link`.
pub async fn open(
    ctx: Ctx,
    req: HttpRequest,
    auth: MaybeAuth,
    id: Path<String>,
    Query(params): Query<PageParams>,
) -> Result<HttpResponse, Error> {
    let viewer = auth.viewer("read:statuses").cloned();
    let base = ctx.config.base_url();
    respond_paged(&ctx, &req, &params, move |conn, page| {
        let community = community_by_id(conn, &id)?;
        require_insight(conn, &community, viewer.as_ref())?;
        let (cursor, rows) =
            crate::service::questions::open(conn, &community, viewer.as_ref(), page)?;
        Ok((cursor, render(conn, &base, viewer.as_ref(), &rows)?))
    })
    .await
}
