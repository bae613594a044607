//! `/api/v2/search`: accounts, posts and hashtags; remote accounts and posts resolved from
//! their servers for people signed in.

use super::accounts::known_account;
use super::auth::MaybeAuth;
use super::entities::{account::Account, status::render};
use super::params::{flexible_bool, parse_id, Query};
use crate::error::Error;
use crate::federation::objects::ApStatus;
use crate::federation::resolve;
use crate::service::visibility;
use crate::state::Ctx;
use crate::store::accounts::{self as account_store, Account as AccountRow};
use activitypub_federation::fetch::object_id::ObjectId;
use actix_web::HttpResponse;
use serde::Deserialize;
use serde_json::json;

#[derive(Deserialize)]
pub struct SearchParams {
    q: String,
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default, deserialize_with = "flexible_bool")]
    resolve: Option<bool>,
    #[serde(default)]
    account_id: Option<String>,
    /// Guild's own: posts in one community.
    #[serde(default)]
    community_id: Option<String>,
    #[serde(default)]
    max_id: Option<String>,
    #[serde(default)]
    min_id: Option<String>,
    #[serde(default, deserialize_with = "super::params::flexible_i64")]
    offset: Option<i64>,
    #[serde(default, deserialize_with = "super::params::flexible_i64")]
    limit: Option<i64>,
}

impl SearchParams {
    fn within(&self) -> Result<crate::store::search::Within, Error> {
        let id = |v: &Option<String>| v.as_deref().map(parse_id).transpose();
        Ok(crate::store::search::Within {
            account_id: id(&self.account_id)?,
            community_id: id(&self.community_id)?,
            max_id: id(&self.max_id)?,
            min_id: id(&self.min_id)?,
        })
    }
}

/// Posts whose words match, for a signed-in viewer: each exactly as visible as the post.
async fn full_text(
    ctx: &Ctx,
    viewer: AccountRow,
    params: &SearchParams,
) -> Result<Vec<super::entities::status::Status>, Error> {
    let (query, within) = (params.q.clone(), params.within()?);
    let limit = params.limit.unwrap_or(20).clamp(1, 40) as usize;
    let paging = (limit, params.offset.unwrap_or(0).max(0) as usize);
    let base = ctx.config.base_url();
    ctx.db
        .run(move |conn| {
            let found = crate::service::search::statuses(conn, &viewer, &query, within, paging)?;
            render(conn, &base, Some(&viewer), &found)
        })
        .await
}

/// `GET /api/v2/search`: an account by `user@domain` and a post by URL, fetched from their
/// origin when `resolve=true`; posts by their words for a signed-in viewer.
pub async fn search(
    ctx: Ctx,
    auth: MaybeAuth,
    Query(params): Query<SearchParams>,
) -> Result<HttpResponse, Error> {
    let base = ctx.config.base_url();
    // Resolving makes requests to other servers: only for people signed in with read:search.
    let resolve = params.resolve.unwrap_or(false) && auth.viewer("read:search").is_some();
    let query = params.q.trim().to_string();
    let wants = |kind: &str| params.kind.as_deref().is_none_or(|k| k == kind);
    let mut accounts = Vec::new();
    let mut statuses = Vec::new();
    if wants("accounts") && query.trim_start_matches('@').contains('@') && !query.contains('/') {
        let found = if resolve {
            resolve::account(&ctx, &query).await.ok()
        } else {
            known_account(&ctx, &query).await?
        };
        accounts.extend(found.map(|a| Account::from_row(&a, &base)));
    } else if wants("accounts") && !query.is_empty() && !query.contains('/') {
        let prefix = query.trim_start_matches('@').to_string();
        let found = ctx
            .db
            .run(move |conn| account_store::search(conn, &prefix, 10))
            .await?;
        accounts.extend(found.iter().map(|a| Account::from_row(a, &base)));
    }
    if wants("accounts") && query.starts_with("http") {
        let found = resolve::account_by_url(&ctx, &query, resolve).await.ok();
        accounts.extend(found.map(|a| Account::from_row(&a, &base)));
    }
    if wants("statuses") && resolve && query.starts_with("http") && accounts.is_empty() {
        if let Ok(id) = ObjectId::<ApStatus>::parse(&query) {
            if let Ok(found) = id.dereference(&ctx).await {
                let viewer = auth.viewer("read:search").cloned();
                let rendered = ctx
                    .db
                    .run(move |conn| {
                        let visible =
                            visibility::filter_visible(conn, viewer.as_ref(), vec![found.row])?;
                        render(conn, &base, viewer.as_ref(), &visible)
                    })
                    .await?;
                statuses.extend(rendered);
            }
        }
    }
    let viewer = auth.viewer("read:search").cloned();
    if let (true, false, Some(viewer)) = (wants("statuses"), query.starts_with("http"), viewer) {
        statuses.extend(full_text(&ctx, viewer, &params).await?);
    }
    let mut hashtags = Vec::new();
    let tag = query.trim_start_matches('#').to_lowercase();
    let plain = !tag.is_empty() && tag.chars().all(|c| c.is_alphanumeric() || c == '_');
    if wants("hashtags") && plain {
        let viewer = auth.viewer("read:search").map(|v| v.id);
        let base = ctx.config.base_url();
        hashtags = ctx
            .db
            .run(move |conn| {
                let found = crate::store::tags::search(conn, &tag, 10)?;
                let followed = match viewer {
                    Some(me) => crate::store::tags::followed(conn, me, &found)?,
                    None => Vec::new(),
                };
                Ok(found
                    .iter()
                    .map(|t| super::tags::tag_json(&base, t, Some(followed.contains(t))))
                    .collect::<Vec<_>>())
            })
            .await?;
    }
    Ok(HttpResponse::Ok()
        .json(json!({ "accounts": accounts, "statuses": statuses, "hashtags": hashtags })))
}
