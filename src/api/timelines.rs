//! The timelines and other lists of statuses: home, public, hashtag, list, an account's
//! (or a community's) statuses, bookmarks and favourites. Each is rendered for its viewer
//! with visibility, blocks, mutes and hide filters applied.

use super::auth::{Auth, MaybeAuth};
use super::entities::status::render;
use super::pagination::{paged_response, respond_paged, PageParams};
use super::params::{flexible_bool, parse_id, Query};
use crate::error::Error;
use crate::service::timelines::{self, Feed};
use crate::service::visibility;
use crate::state::Ctx;
use crate::store::{
    accounts::{self as account_store, Account},
    statuses::{self as status_store, Status as StatusRow},
};
use actix_web::{web::Path, HttpRequest, HttpResponse};
use serde::Deserialize;

/// Render `rows` for `viewer` and respond, with a `Link` header when paged. Statuses the
/// viewer's `hide` filters catch in `context` (home, public, account…) are left out.
async fn respond_list(
    ctx: &Ctx,
    req: &HttpRequest,
    (viewer, context): (Option<Account>, &'static str),
    rows: Vec<StatusRow>,
    params: &PageParams,
) -> Result<HttpResponse, Error> {
    let base = ctx.config.base_url();
    let ids: Vec<i64> = rows.iter().map(|s| s.id).collect();
    let body_base = base.clone();
    let entities = ctx
        .db
        .run(move |conn| {
            let shown = timelines::shown(conn, viewer.as_ref(), context, rows)?;
            render(conn, &body_base, viewer.as_ref(), &shown)
        })
        .await?;
    Ok(paged_response(req, &base, params.page(), &ids).json(entities))
}

/// A page of `feed` for `viewer`.
async fn respond_feed(
    ctx: &Ctx,
    req: &HttpRequest,
    viewer: Option<Account>,
    feed: Feed,
    params: &PageParams,
) -> Result<HttpResponse, Error> {
    let (page, for_rows) = (params.page(), viewer.clone());
    let context = feed.context();
    let rows = ctx
        .db
        .run(move |conn| timelines::rows(conn, for_rows.as_ref(), &feed, page))
        .await?;
    respond_list(ctx, req, (viewer, context), rows, params).await
}

/// Loads a page of (mark id, status id) for an account.
type MarkLoader =
    fn(&mut crate::db::DbConn, i64, status_store::Page) -> Result<Vec<(i64, i64)>, Error>;

/// Statuses the signed-in person marked (bookmarks, favourites), newest mark first, paged by
/// the mark's id.
async fn marked(
    ctx: Ctx,
    req: HttpRequest,
    auth: Auth,
    params: PageParams,
    scope: &str,
    load_marks: MarkLoader,
) -> Result<HttpResponse, Error> {
    let (_, me) = auth.user(scope)?;
    let (me, base) = (me.clone(), ctx.config.base_url());
    respond_paged(&ctx, &req, &params, move |conn, page| {
        let marks = load_marks(conn, me.id, page)?;
        let ids: Vec<i64> = marks.iter().map(|(_, s)| *s).collect();
        let found = status_store::by_ids(conn, &ids)?;
        let rows: Vec<StatusRow> = ids
            .iter()
            .filter_map(|id| found.iter().find(|s| s.id == *id).cloned())
            .collect();
        let visible = visibility::filter_visible(conn, Some(&me), rows)?;
        let body = render(conn, &base, Some(&me), &visible)?;
        Ok((marks.iter().map(|(m, _)| *m).collect::<Vec<i64>>(), body))
    })
    .await
}

/// `GET /api/v1/bookmarks`
pub async fn bookmarks(
    ctx: Ctx,
    req: HttpRequest,
    auth: Auth,
    Query(params): Query<PageParams>,
) -> Result<HttpResponse, Error> {
    let load = crate::store::bookmarks::page;
    marked(ctx, req, auth, params, "read:bookmarks", load).await
}

/// `GET /api/v1/favourites`
pub async fn favourites(
    ctx: Ctx,
    req: HttpRequest,
    auth: Auth,
    Query(params): Query<PageParams>,
) -> Result<HttpResponse, Error> {
    let load = crate::store::favourites::page;
    marked(ctx, req, auth, params, "read:favourites", load).await
}

/// `GET /api/v1/timelines/home`
pub async fn home(
    ctx: Ctx,
    req: HttpRequest,
    auth: Auth,
    Query(params): Query<PageParams>,
) -> Result<HttpResponse, Error> {
    let (_, viewer) = auth.user("read:statuses")?;
    respond_feed(&ctx, &req, Some(viewer.clone()), Feed::Home, &params).await
}

#[derive(Deserialize)]
pub struct PublicParams {
    #[serde(flatten)]
    page: PageParams,
    #[serde(default, deserialize_with = "flexible_bool")]
    local: Option<bool>,
    #[serde(default, deserialize_with = "flexible_bool")]
    remote: Option<bool>,
    #[serde(default, deserialize_with = "flexible_bool")]
    only_media: Option<bool>,
}

impl PublicParams {
    /// Local only, remote only, or both (None).
    fn origin(&self) -> Option<bool> {
        match (self.local, self.remote) {
            (Some(true), _) => Some(true),
            (_, Some(true)) => Some(false),
            _ => None,
        }
    }
}

/// `GET /api/v1/timelines/tag/{hashtag}`: public posts with the tag (`local`, `remote`).
pub async fn tag(
    ctx: Ctx,
    req: HttpRequest,
    auth: MaybeAuth,
    tag: Path<String>,
    Query(params): Query<PublicParams>,
) -> Result<HttpResponse, Error> {
    let feed = Feed::Tag {
        tag: tag.trim_start_matches('#').to_lowercase(),
        local: params.origin(),
        only_media: params.only_media.unwrap_or(false),
    };
    let viewer = auth.viewer("read:statuses").cloned();
    respond_feed(&ctx, &req, viewer, feed, &params.page).await
}

/// `GET /api/v1/timelines/list/{id}`: posts by the members of one of the person's lists.
pub async fn list(
    ctx: Ctx,
    req: HttpRequest,
    auth: Auth,
    id: Path<String>,
    Query(params): Query<PageParams>,
) -> Result<HttpResponse, Error> {
    let me = auth.user("read:lists")?.1.clone();
    let feed = Feed::List(parse_id(&id)?);
    respond_feed(&ctx, &req, Some(me), feed, &params).await
}

/// `GET /api/v1/timelines/public`
pub async fn public(
    ctx: Ctx,
    req: HttpRequest,
    auth: MaybeAuth,
    Query(params): Query<PublicParams>,
) -> Result<HttpResponse, Error> {
    let feed = Feed::Public {
        local: params.origin(),
        only_media: params.only_media.unwrap_or(false),
    };
    let viewer = auth.viewer("read:statuses").cloned();
    respond_feed(&ctx, &req, viewer, feed, &params.page).await
}

#[derive(Deserialize)]
pub struct AccountStatusesParams {
    #[serde(flatten)]
    page: PageParams,
    #[serde(default, deserialize_with = "flexible_bool")]
    exclude_replies: Option<bool>,
    #[serde(default, deserialize_with = "flexible_bool")]
    exclude_reblogs: Option<bool>,
    #[serde(default, deserialize_with = "flexible_bool")]
    pinned: Option<bool>,
    #[serde(default, deserialize_with = "flexible_bool")]
    only_media: Option<bool>,
    tagged: Option<String>,
}

/// `GET /api/v1/accounts/{id}/statuses`; for a community, the posts in it.
pub async fn by_account(
    ctx: Ctx,
    req: HttpRequest,
    auth: MaybeAuth,
    id: Path<String>,
    Query(params): Query<AccountStatusesParams>,
) -> Result<HttpResponse, Error> {
    let id = parse_id(&id)?;
    let page = params.page.page();
    let (replies, reblogs) = (
        params.exclude_replies.unwrap_or(false),
        params.exclude_reblogs.unwrap_or(false),
    );
    let pinned_only = params.pinned.unwrap_or(false);
    let media_only = params.only_media.unwrap_or(false);
    let tagged = params.tagged.clone();
    let rows = ctx
        .db
        .run(move |conn| {
            let account = account_store::by_id(conn, id)?.ok_or(Error::NotFound)?;
            if pinned_only {
                // A community's pinned threads, or what a person pinned to their profile.
                return match account.is_group() {
                    true => status_store::pinned_in(conn, id),
                    false => status_store::profile_pinned(conn, id),
                };
            }
            let whose = match account.is_group() {
                true => status_store::Whose::InCommunity(id),
                false => status_store::Whose::By(id),
            };
            let only = (replies, reblogs, media_only);
            status_store::by_account(conn, whose, only, tagged.as_deref(), page)
        })
        .await?;
    respond_list(
        &ctx,
        &req,
        (auth.viewer("read:statuses").cloned(), "account"),
        rows,
        &params.page,
    )
    .await
}
