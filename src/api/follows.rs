//! Followers, following and follow requests.

use super::auth::{Auth, MaybeAuth};
use super::entities::account::Account;
use super::pagination::{respond_paged, PageParams};
use super::params::{parse_id, Query};
use crate::domain::FollowState;
use crate::error::Error;
use crate::service::follows as follow_service;
use crate::state::Ctx;
use crate::store::statuses::Page;
use crate::store::{accounts, follows};
use actix_web::{web::Path, HttpRequest, HttpResponse};

/// A page of accounts from (mark id, account id) rows that `load` gives for the page (follows,
/// blocks, mutes), in order, with `Link` by mark id. Two queries however long the page.
pub async fn marked_accounts<F>(
    ctx: &Ctx,
    req: &HttpRequest,
    params: PageParams,
    load: F,
) -> Result<HttpResponse, Error>
where
    F: FnOnce(&mut crate::db::DbConn, Page) -> Result<Vec<(i64, i64)>, Error> + Send + 'static,
{
    let base = ctx.config.base_url();
    respond_paged(ctx, req, &params, move |conn, page| {
        let rows = load(conn, page)?;
        let ids: Vec<i64> = rows.iter().map(|(_, a)| *a).collect();
        let body = Account::list(conn, &base, &ids)?;
        Ok((rows.iter().map(|(f, _)| *f).collect::<Vec<i64>>(), body))
    })
    .await
}

/// A page of followers (or followed accounts) of `account_id` whose follow is in `state`.
async fn account_page(
    ctx: &Ctx,
    req: &HttpRequest,
    account_id: i64,
    followers: bool,
    state: FollowState,
    params: PageParams,
) -> Result<HttpResponse, Error> {
    marked_accounts(ctx, req, params, move |conn, page| {
        follows::page_account_ids(conn, account_id, followers, state, page)
    })
    .await
}

/// `GET /api/v1/blocks` and `/api/v1/mutes`
pub async fn blocks_or_mutes(
    ctx: Ctx,
    req: HttpRequest,
    auth: Auth,
    list: Path<String>,
    Query(params): Query<PageParams>,
) -> Result<HttpResponse, Error> {
    let blocks = list.as_str() == "blocks";
    let scope = if blocks { "read:blocks" } else { "read:mutes" };
    let me = auth.user(scope)?.1.id;
    marked_accounts(&ctx, &req, params, move |conn, page| match blocks {
        true => crate::store::blocks::blocks_page(conn, me, page),
        false => crate::store::blocks::mutes_page(conn, me, page),
    })
    .await
}

/// `GET /api/v1/accounts/{id}/followers` (members, for a community) and `…/following`
pub async fn followers_or_following(
    ctx: Ctx,
    req: HttpRequest,
    _auth: MaybeAuth,
    path: Path<(String, String)>,
    Query(params): Query<PageParams>,
) -> Result<HttpResponse, Error> {
    let (id, side) = path.into_inner();
    let followers = side == "followers";
    let id = parse_id(&id)?;
    account_page(&ctx, &req, id, followers, FollowState::Accepted, params).await
}

/// `GET /api/v1/follow_requests`: who waits for the signed-in person's decision.
pub async fn requests(
    ctx: Ctx,
    req: HttpRequest,
    auth: Auth,
    Query(params): Query<PageParams>,
) -> Result<HttpResponse, Error> {
    let (_, me) = auth.user("read:follows")?;
    account_page(&ctx, &req, me.id, true, FollowState::Pending, params).await
}

/// `POST /api/v1/follow_requests/{id}/{authorize|reject}`
pub async fn decide(
    ctx: Ctx,
    auth: Auth,
    path: Path<(String, String)>,
) -> Result<HttpResponse, Error> {
    let (_, me) = auth.user("write:follows")?;
    let (id, decision) = path.into_inner();
    let (me, requester, config) = (me.clone(), parse_id(&id)?, ctx.config.clone());
    let accept = decision == "authorize";
    let body = ctx
        .db
        .run(move |conn| {
            let requester = accounts::by_id(conn, requester)?.ok_or(Error::NotFound)?;
            follow_service::decide_request(conn, &config, &me, &requester, accept)?;
            super::accounts::relationship(conn, me.id, requester.id)
        })
        .await?;
    Ok(HttpResponse::Ok().json(body))
}
