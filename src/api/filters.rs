//! `/api/v2/filters` (and the read-only `/api/v1/filters` view): keyword filters.

use super::auth::Auth;
use super::entities::time;
use super::params::{flexible_bool, parse_id, string_list, Params};
use crate::db::DbConn;
use crate::error::Error;
use crate::service::filters::{self as filter_service, Active, FilterChange, KeywordChange};
use crate::state::Ctx;
use crate::store::filters::{self as filter_store, Filter, Keyword};
use actix_web::{web::Path, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Map, Value};

fn keyword_json(keyword: &Keyword) -> Value {
    json!({
        "id": keyword.id.to_string(),
        "keyword": keyword.keyword,
        "whole_word": keyword.whole_word,
    })
}

fn filter_json(filter: &Filter, keywords: &[Keyword]) -> Value {
    json!({
        "id": filter.id.to_string(),
        "title": filter.title,
        "context": filter_service::contexts(filter),
        "expires_at": filter.expires_at.map(time),
        "filter_action": filter.filter_action,
        "keywords": keywords.iter().filter(|k| k.filter_id == filter.id).map(keyword_json).collect::<Vec<_>>(),
        "statuses": [],
    })
}

/// A status's `filtered` entry: the filter and the keywords that matched.
pub fn result_json(active: &Active, keywords: &[&str]) -> Value {
    json!({
        "filter": filter_json(&active.filter, &active.keywords),
        "keyword_matches": keywords,
        "status_matches": null,
    })
}

#[derive(Deserialize)]
pub struct FilterForm {
    title: Option<String>,
    #[serde(default, deserialize_with = "string_list")]
    context: Vec<String>,
    filter_action: Option<String>,
    /// Seconds; empty or absent in an update keeps or clears, as Mastodon does.
    #[serde(default)]
    expires_in: Option<Value>,
    #[serde(default)]
    keywords_attributes: Option<Value>,
    /// Form-encoded keywords arrive as `keywords_attributes[0][keyword]` and the like.
    #[serde(flatten)]
    rest: Map<String, Value>,
}

impl FilterForm {
    fn change(self) -> Result<FilterChange, Error> {
        let expires_at = match self.expires_in {
            None => None,
            Some(Value::Null) => Some(None),
            Some(Value::String(s)) if s.is_empty() => Some(None),
            Some(v) => {
                let seconds = v
                    .as_i64()
                    .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
                    .ok_or_else(|| Error::Unprocessable("expires_in must be seconds".into()))?;
                Some(Some(super::params::expires_in(seconds)?))
            }
        };
        Ok(FilterChange {
            title: self.title,
            context: (!self.context.is_empty()).then_some(self.context),
            filter_action: self.filter_action,
            expires_at,
            keywords: keyword_changes(self.keywords_attributes.or_else(|| from_form(&self.rest)))?,
        })
    }
}

/// `keywords_attributes` as JSON (a list of objects) or Rails forms
/// (`keywords_attributes[][keyword]=…`, which arrive as one object of lists).
fn keyword_changes(value: Option<Value>) -> Result<Vec<KeywordChange>, Error> {
    let items: Vec<Map<String, Value>> = match value {
        None => Vec::new(),
        Some(Value::Array(items)) => items
            .into_iter()
            .filter_map(|v| v.as_object().cloned())
            .collect(),
        Some(Value::Object(map)) => map
            .into_iter()
            .map(|(_, v)| v.as_object().cloned().unwrap_or_default())
            .collect(),
        Some(_) => {
            return Err(Error::Unprocessable(
                "keywords_attributes must be a list".into(),
            ))
        }
    };
    Ok(items.iter().map(keyword_change).collect())
}

/// `keywords_attributes[N][field]=…` (or `[][field]` for one keyword) form keys, gathered
/// into one object per keyword, in order.
fn from_form(rest: &Map<String, Value>) -> Option<Value> {
    let mut keywords: std::collections::BTreeMap<String, Map<String, Value>> = Default::default();
    for (key, value) in rest {
        let Some(inner) = key.strip_prefix("keywords_attributes[") else {
            continue;
        };
        let Some((index, field)) = inner.split_once("][") else {
            continue;
        };
        let field = field.trim_end_matches(']').to_string();
        let index = format!("{index:0>6}"); // keeps numeric order in the map
        keywords
            .entry(index)
            .or_default()
            .insert(field, value.clone());
    }
    (!keywords.is_empty())
        .then(|| Value::Array(keywords.into_values().map(Value::Object).collect()))
}

fn keyword_change(item: &Map<String, Value>) -> KeywordChange {
    let flag = |key: &str| {
        item.get(key).map(|v| {
            v.as_bool()
                .unwrap_or_else(|| matches!(v.as_str(), Some("true" | "1")))
        })
    };
    KeywordChange {
        id: item
            .get("id")
            .and_then(|v| v.as_str().and_then(|s| s.parse().ok()).or(v.as_i64())),
        keyword: item
            .get("keyword")
            .and_then(Value::as_str)
            .map(String::from),
        whole_word: flag("whole_word"),
        destroy: flag("_destroy").unwrap_or(false),
    }
}

fn one(conn: &mut DbConn, owner: i64, id: i64) -> Result<Value, Error> {
    let filter = filter_service::owned(conn, owner, id)?;
    let keywords = filter_store::keywords_of(conn, &[filter.id])?;
    Ok(filter_json(&filter, &keywords))
}

/// `GET /api/v2/filters`
pub async fn index(ctx: Ctx, auth: Auth) -> Result<HttpResponse, Error> {
    let me = auth.user("read:filters")?.1.id;
    let body = ctx
        .db
        .run(move |conn| {
            let filters = filter_store::of_accounts(conn, &[me], None)?;
            let ids: Vec<i64> = filters.iter().map(|f| f.id).collect();
            let keywords = filter_store::keywords_of(conn, &ids)?;
            Ok(filters
                .iter()
                .map(|f| filter_json(f, &keywords))
                .collect::<Vec<_>>())
        })
        .await?;
    Ok(HttpResponse::Ok().json(body))
}

/// `GET /api/v1/filters`: each keyword as a v1 filter, for older apps.
pub async fn index_v1(ctx: Ctx, auth: Auth) -> Result<HttpResponse, Error> {
    let me = auth.user("read:filters")?.1.id;
    let body = ctx
        .db
        .run(move |conn| {
            let filters = filter_store::of_accounts(conn, &[me], None)?;
            let ids: Vec<i64> = filters.iter().map(|f| f.id).collect();
            let keywords = filter_store::keywords_of(conn, &ids)?;
            Ok(keywords
                .iter()
                .filter_map(|k| {
                    let f = filters.iter().find(|f| f.id == k.filter_id)?;
                    Some(json!({
                        "id": k.id.to_string(),
                        "phrase": k.keyword,
                        "context": filter_service::contexts(f),
                        "whole_word": k.whole_word,
                        "expires_at": f.expires_at.map(time),
                        "irreversible": f.filter_action == "hide",
                    }))
                })
                .collect::<Vec<_>>())
        })
        .await?;
    Ok(HttpResponse::Ok().json(body))
}

/// `POST /api/v2/filters`
pub async fn create(
    ctx: Ctx,
    auth: Auth,
    Params(form): Params<FilterForm>,
) -> Result<HttpResponse, Error> {
    let me = auth.user("write:filters")?.1.id;
    let change = form.change()?;
    let body = ctx
        .db
        .run(move |conn| {
            let filter = filter_service::create(conn, me, &change)?;
            one(conn, me, filter.id)
        })
        .await?;
    Ok(HttpResponse::Ok().json(body))
}

/// `GET /api/v2/filters/{id}`
pub async fn get(ctx: Ctx, auth: Auth, id: Path<String>) -> Result<HttpResponse, Error> {
    let me = auth.user("read:filters")?.1.id;
    let id = parse_id(&id)?;
    let body = ctx.db.run(move |conn| one(conn, me, id)).await?;
    Ok(HttpResponse::Ok().json(body))
}

/// `PUT /api/v2/filters/{id}`
pub async fn update(
    ctx: Ctx,
    auth: Auth,
    id: Path<String>,
    Params(form): Params<FilterForm>,
) -> Result<HttpResponse, Error> {
    let me = auth.user("write:filters")?.1.id;
    let (id, change) = (parse_id(&id)?, form.change()?);
    let body = ctx
        .db
        .run(move |conn| {
            filter_service::update(conn, me, id, &change)?;
            one(conn, me, id)
        })
        .await?;
    Ok(HttpResponse::Ok().json(body))
}

/// `DELETE /api/v2/filters/{id}`
pub async fn delete(ctx: Ctx, auth: Auth, id: Path<String>) -> Result<HttpResponse, Error> {
    let me = auth.user("write:filters")?.1.id;
    let id = parse_id(&id)?;
    ctx.db
        .run(move |conn| filter_service::delete(conn, me, id))
        .await?;
    Ok(HttpResponse::Ok().json(json!({})))
}

/// `GET /api/v2/filters/{id}/keywords`
pub async fn keywords(ctx: Ctx, auth: Auth, id: Path<String>) -> Result<HttpResponse, Error> {
    let me = auth.user("read:filters")?.1.id;
    let id = parse_id(&id)?;
    let body = ctx
        .db
        .run(move |conn| {
            let filter = filter_service::owned(conn, me, id)?;
            let keywords = filter_store::keywords_of(conn, &[filter.id])?;
            Ok(keywords.iter().map(keyword_json).collect::<Vec<_>>())
        })
        .await?;
    Ok(HttpResponse::Ok().json(body))
}

#[derive(Deserialize)]
pub struct KeywordForm {
    keyword: Option<String>,
    #[serde(default, deserialize_with = "flexible_bool")]
    whole_word: Option<bool>,
}

/// `POST /api/v2/filters/{id}/keywords`
pub async fn add_keyword(
    ctx: Ctx,
    auth: Auth,
    id: Path<String>,
    Params(form): Params<KeywordForm>,
) -> Result<HttpResponse, Error> {
    let me = auth.user("write:filters")?.1.id;
    let id = parse_id(&id)?;
    let change = KeywordChange {
        keyword: form.keyword,
        whole_word: form.whole_word,
        ..Default::default()
    };
    let body = ctx
        .db
        .run(move |conn| {
            filter_service::change_keywords_of(conn, me, id, &[change])?;
            let keywords = filter_store::keywords_of(conn, &[id])?;
            keywords.last().map(keyword_json).ok_or(Error::NotFound)
        })
        .await?;
    Ok(HttpResponse::Ok().json(body))
}

/// A keyword by id, with the filter it belongs to (which the person must own).
/// `GET /api/v2/filters/keywords/{id}`
pub async fn get_keyword(ctx: Ctx, auth: Auth, id: Path<String>) -> Result<HttpResponse, Error> {
    let me = auth.user("read:filters")?.1.id;
    let body = ctx
        .db
        .run(move |conn| {
            filter_service::owned_keyword(conn, me, parse_id(&id)?).map(|k| keyword_json(&k))
        })
        .await?;
    Ok(HttpResponse::Ok().json(body))
}

/// `PUT /api/v2/filters/keywords/{id}`
pub async fn update_keyword(
    ctx: Ctx,
    auth: Auth,
    id: Path<String>,
    Params(form): Params<KeywordForm>,
) -> Result<HttpResponse, Error> {
    let me = auth.user("write:filters")?.1.id;
    let body = ctx
        .db
        .run(move |conn| {
            let keyword = filter_service::owned_keyword(conn, me, parse_id(&id)?)?;
            let change = KeywordChange {
                id: Some(keyword.id),
                keyword: form.keyword,
                whole_word: form.whole_word,
                destroy: false,
            };
            filter_service::change_keywords_of(conn, me, keyword.filter_id, &[change])?;
            filter_service::owned_keyword(conn, me, parse_id(&id)?).map(|k| keyword_json(&k))
        })
        .await?;
    Ok(HttpResponse::Ok().json(body))
}

/// `DELETE /api/v2/filters/keywords/{id}`
pub async fn delete_keyword(ctx: Ctx, auth: Auth, id: Path<String>) -> Result<HttpResponse, Error> {
    let me = auth.user("write:filters")?.1.id;
    ctx.db
        .run(move |conn| filter_service::delete_keyword(conn, me, parse_id(&id)?))
        .await?;
    Ok(HttpResponse::Ok().json(json!({})))
}
