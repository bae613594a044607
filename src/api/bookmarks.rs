//! Guild's bookmarks with notes and tags: what a person wrote on the posts they keep, and
//! their bookmarks listed by tag. Mastodon's `/api/v1/bookmarks` stays as Mastodon has it.

use super::auth::Auth;
use super::entities::status::{render, Status};
use super::pagination::{respond_paged, PageParams};
use super::params::{optional_string_list, parse_id, Params, Query};
use crate::error::Error;
use crate::service::bookmarks::{self, Annotated, Annotation};
use crate::state::Ctx;
use crate::store::{accounts::Account, statuses as status_store};
use actix_web::{web::Path, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

/// A bookmark as Guild's API shows it.
#[derive(Serialize)]
struct Bookmark {
    id: String,
    created_at: String,
    note: String,
    tags: Vec<String>,
    status: Status,
}

/// The bookmarks rendered for their owner; those whose post is gone or hidden are left out.
fn entities(
    conn: &mut crate::db::DbConn,
    base_url: &str,
    me: &Account,
    list: Vec<Annotated>,
) -> Result<Vec<Bookmark>, Error> {
    let rows = bookmarks::posts_of(conn, me, &list)?;
    let mut statuses: std::collections::HashMap<i64, Status> =
        render(conn, base_url, Some(me), &rows)?
            .into_iter()
            .map(|s| (s.id.parse().unwrap_or_default(), s))
            .collect();
    Ok(list
        .into_iter()
        .filter_map(|a| {
            Some(Bookmark {
                id: a.bookmark.id.to_string(),
                created_at: super::entities::time(a.bookmark.created_at),
                note: a.bookmark.note,
                tags: a.tags,
                status: statuses.remove(&a.bookmark.status_id)?,
            })
        })
        .collect())
}

#[derive(Deserialize)]
pub struct ListParams {
    #[serde(default)]
    tag: Option<String>,
    #[serde(flatten)]
    page: PageParams,
}

/// `GET /api/v1/guild/bookmarks`: the person's bookmarks with notes and tags, newest first,
/// only those filed under `tag` when it is given; paged by bookmark id with `Link`.
pub async fn list(
    ctx: Ctx,
    req: HttpRequest,
    auth: Auth,
    Query(params): Query<ListParams>,
) -> Result<HttpResponse, Error> {
    let (_, me) = auth.user("read:bookmarks")?;
    let (me, base) = (me.clone(), ctx.config.base_url());
    let tag = params.tag.clone();
    respond_paged(&ctx, &req, &params.page, move |conn, page| {
        let list = bookmarks::page(conn, me.id, tag.as_deref(), page)?;
        let cursor = list.iter().map(|a| a.bookmark.id).collect();
        Ok((cursor, entities(conn, &base, &me, list)?))
    })
    .await
}

#[derive(Deserialize)]
pub struct AnnotationForm {
    #[serde(default)]
    note: Option<String>,
    #[serde(default, rename = "tags", deserialize_with = "optional_string_list")]
    tags: Option<Vec<String>>,
}

/// `PUT /api/v1/guild/bookmarks/{status_id}`: bookmark the post if need be and write `note`
/// and `tags[]` on it (either may be left out to keep it).
pub async fn annotate(
    ctx: Ctx,
    auth: Auth,
    id: Path<String>,
    Params(form): Params<AnnotationForm>,
) -> Result<HttpResponse, Error> {
    let (_, me) = auth.user("write:bookmarks")?;
    let (me, base) = (me.clone(), ctx.config.base_url());
    let body = ctx
        .db
        .run(move |conn| {
            let status = status_store::by_id(conn, parse_id(&id)?)?.ok_or(Error::NotFound)?;
            let annotation = Annotation {
                note: form.note,
                tags: form.tags,
            };
            let annotated = bookmarks::annotate(conn, &me, &status, annotation)?;
            entities(conn, &base, &me, vec![annotated])?
                .pop()
                .ok_or(Error::NotFound)
        })
        .await?;
    Ok(HttpResponse::Ok().json(body))
}
