//! Keyset paging parameters and the `Link` header Mastodon clients follow.

use super::params::flexible_i64;
use crate::store::statuses::Page;
use actix_web::{http::header, HttpRequest, HttpResponse, HttpResponseBuilder};
use serde::Deserialize;

const DEFAULT_LIMIT: i64 = 20;
const MAX_LIMIT: i64 = 40;

#[derive(Clone, Debug, Default, Deserialize)]
pub struct PageParams {
    #[serde(default, deserialize_with = "flexible_i64")]
    pub max_id: Option<i64>,
    #[serde(default, deserialize_with = "flexible_i64")]
    pub since_id: Option<i64>,
    #[serde(default, deserialize_with = "flexible_i64")]
    pub min_id: Option<i64>,
    #[serde(default, deserialize_with = "flexible_i64")]
    pub limit: Option<i64>,
}

impl PageParams {
    pub fn page(&self) -> Page {
        Page {
            max_id: self.max_id,
            since_id: self.since_id,
            min_id: self.min_id,
            limit: self.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT),
        }
    }
}

/// The request's URL with the paging parameters replaced, others kept as they were.
fn with_param(req: &HttpRequest, base_url: &str, key: &str, value: i64) -> String {
    let kept = url::form_urlencoded::parse(req.query_string().as_bytes())
        .filter(|(k, _)| !matches!(k.as_ref(), "max_id" | "since_id" | "min_id"))
        .map(|(k, v)| (k.into_owned(), v.into_owned()));
    let query: String = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(kept)
        .append_pair(key, &value.to_string())
        .finish();
    format!("{base_url}{}?{query}", req.path())
}

/// A 200 response builder with `Link` for the page whose items have `ids` (newest first):
/// `next` (older) only when the page is full, `prev` (newer) when there are items.
pub fn paged_response(
    req: &HttpRequest,
    base_url: &str,
    page: Page,
    ids: &[i64],
) -> HttpResponseBuilder {
    let mut response = HttpResponse::Ok();
    let (Some(newest), Some(oldest)) = (ids.first(), ids.last()) else {
        return response;
    };
    let mut links = Vec::new();
    if ids.len() as i64 >= page.limit {
        links.push(format!(
            "<{}>; rel=\"next\"",
            with_param(req, base_url, "max_id", *oldest)
        ));
    }
    links.push(format!(
        "<{}>; rel=\"prev\"",
        with_param(req, base_url, "min_id", *newest)
    ));
    response.insert_header((header::LINK, links.join(", ")));
    response
}

/// Run `load` for the requested page and answer its body with `Link` headers. `load` gives
/// the keyset cursor of each item (newest first) and the body.
pub async fn respond_paged<F, T>(
    ctx: &crate::state::Ctx,
    req: &HttpRequest,
    params: &PageParams,
    load: F,
) -> Result<HttpResponse, crate::error::Error>
where
    F: FnOnce(&mut crate::db::DbConn, Page) -> Result<(Vec<i64>, T), crate::error::Error>
        + Send
        + 'static,
    T: serde::Serialize + Send + 'static,
{
    let (page, base) = (params.page(), ctx.config.base_url());
    let (cursor, body) = ctx.db.run(move |conn| load(conn, page)).await?;
    Ok(paged_response(req, &base, page, &cursor).json(body))
}
