//! The signed-in person's bookmarks: the posts they keep, with the note and tags they write on
//! each, listed by tag.

use super::posts::{page_posts, PagePost};
use super::visitor::{Frame, Visitor};
use super::PageError;
use crate::service::bookmarks::{self, Annotation};
use crate::state::Ctx;
use crate::store::statuses;
use actix_web::{
    web::{Form, Path, Query},
    HttpResponse,
};
use askama::Template;
use serde::Deserialize;
use std::collections::HashMap;

/// Bookmarks on one page.
const PER_PAGE: i64 = 20;

/// A bookmarked post with what its owner wrote on it.
struct Kept {
    post: PagePost,
    note: String,
    tags: Vec<String>,
}

#[derive(Template)]
#[template(path = "bookmarks.html", config = "src/web/askama.toml")]
struct BookmarksPage {
    frame: Frame,
    tag: Option<String>,
    /// Every tag the person uses, with its bookmarks' count.
    tags: Vec<(String, i64)>,
    kept: Vec<Kept>,
    older: Option<String>,
}

#[derive(Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    tag: Option<String>,
    #[serde(default)]
    max_id: Option<i64>,
}

/// `GET /bookmarks`: newest first, only those filed under `tag` when it is given.
pub async fn list(
    ctx: Ctx,
    visitor: Visitor,
    Query(query): Query<ListQuery>,
) -> Result<HttpResponse, PageError> {
    let me = visitor.person()?.account.clone();
    let (config, frame) = (ctx.config.clone(), visitor.frame(&ctx));
    let tag = query.tag.filter(|t| !t.trim().is_empty());
    let page = ctx
        .db
        .run(move |conn| {
            let page = statuses::Page {
                max_id: query.max_id,
                since_id: None,
                min_id: None,
                limit: PER_PAGE,
            };
            let list = bookmarks::page(conn, me.id, tag.as_deref(), page)?;
            let older = (list.len() as i64 == PER_PAGE)
                .then(|| {
                    list.last()
                        .map(|a| older_href(tag.as_deref(), a.bookmark.id))
                })
                .flatten();
            let rows = bookmarks::posts_of(conn, &me, &list)?;
            let rows = rows.into_iter().map(|s| (s, 0)).collect();
            let mut posts: HashMap<i64, PagePost> =
                page_posts(conn, &config, Some(&me), false, rows)?
                    .into_iter()
                    .map(|p| (p.id, p))
                    .collect();
            let kept = list
                .into_iter()
                .filter_map(|a| {
                    Some(Kept {
                        post: posts.remove(&a.bookmark.status_id)?,
                        note: a.bookmark.note,
                        tags: a.tags,
                    })
                })
                .collect();
            Ok(BookmarksPage {
                frame,
                tags: bookmarks::tags_in_use(conn, me.id)?,
                tag,
                kept,
                older,
            })
        })
        .await?;
    Ok(visitor.ok(&page)?)
}

fn older_href(tag: Option<&str>, max_id: i64) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    if let Some(tag) = tag {
        query.append_pair("tag", tag);
    }
    format!(
        "/bookmarks?{}",
        query.append_pair("max_id", &max_id.to_string()).finish()
    )
}

#[derive(Deserialize)]
pub struct NoteForm {
    csrf: String,
    #[serde(default)]
    note: String,
    /// Separated by spaces or commas, with or without `#`.
    #[serde(default)]
    tags: String,
    /// Present when the person lets the bookmark go instead.
    #[serde(default)]
    remove: Option<String>,
}

/// `POST /bookmarks/{status_id}`: bookmark the post if need be and keep the note and tags, or
/// with `remove`, forget the bookmark; back to the bookmarks either way.
pub async fn annotate(
    ctx: Ctx,
    visitor: Visitor,
    id: Path<i64>,
    Form(form): Form<NoteForm>,
) -> Result<HttpResponse, PageError> {
    visitor.check_form(&form.csrf)?;
    let me = visitor.person()?.account.clone();
    let id = id.into_inner();
    let tags: Vec<String> = form
        .tags
        .split(|c: char| c == ',' || c.is_whitespace())
        .map(str::to_string)
        .collect();
    let back = match form.remove {
        Some(_) => "/bookmarks".to_string(),
        None => format!("/bookmarks#s{id}"),
    };
    ctx.db
        .run(move |conn| {
            if form.remove.is_some() {
                return bookmarks::remove(conn, me.id, id);
            }
            let status = statuses::by_id(conn, id)?.ok_or(crate::error::Error::NotFound)?;
            let annotation = Annotation {
                note: Some(form.note),
                tags: Some(tags),
            };
            bookmarks::annotate(conn, &me, &status, annotation).map(|_| ())
        })
        .await?;
    Ok(visitor.see_other(&back))
}
