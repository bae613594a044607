//! Followers and following collections (paged, newest first), and outbound activities by id.

use super::actors::{activity_json, local_actor};
use crate::app::Ctx;
use crate::error::Error;
use crate::store::{
    accounts::{GROUP, PERSON},
    deliveries, follows,
};
use actix_web::{
    web::{Path, Query},
    HttpResponse,
};
use serde::Deserialize;
use serde_json::json;

const PAGE_SIZE: i64 = 40;

#[derive(Deserialize)]
pub struct PageQuery {
    page: Option<String>,
    max_id: Option<i64>,
}

async fn follow_collection(
    ctx: Ctx,
    name: String,
    kind: &'static str,
    followers: bool,
    query: PageQuery,
) -> Result<HttpResponse, Error> {
    let account = local_actor(&ctx, name, kind).await?;
    let suffix = if followers { "followers" } else { "following" };
    let collection = format!("{}/{suffix}", account.ap_id);
    let total = if followers {
        account.followers_count
    } else {
        account.following_count
    };
    if query.page.is_none() {
        return Ok(activity_json(&json!({
            "@context": super::activities::AS_CONTEXT,
            "id": collection,
            "type": "OrderedCollection",
            "totalItems": total,
            "first": format!("{collection}?page=true"),
        })));
    }
    let (id, before) = (account.id, query.max_id);
    let rows = ctx
        .db
        .run(move |conn| follows::page_actor_ids(conn, id, followers, before, PAGE_SIZE))
        .await?;
    let page_id = match before {
        Some(max_id) => format!("{collection}?page=true&max_id={max_id}"),
        None => format!("{collection}?page=true"),
    };
    let mut page = json!({
        "@context": super::activities::AS_CONTEXT,
        "id": page_id,
        "type": "OrderedCollectionPage",
        "partOf": collection,
        "totalItems": total,
        "orderedItems": rows.iter().map(|(_, ap_id)| ap_id).collect::<Vec<_>>(),
    });
    if rows.len() as i64 == PAGE_SIZE {
        if let Some((last, _)) = rows.last() {
            page["next"] = json!(format!("{collection}?page=true&max_id={last}"));
        }
    }
    Ok(activity_json(&page))
}

pub async fn person_followers(
    ctx: Ctx,
    name: Path<String>,
    query: Query<PageQuery>,
) -> Result<HttpResponse, Error> {
    follow_collection(ctx, name.into_inner(), PERSON, true, query.into_inner()).await
}

pub async fn person_following(
    ctx: Ctx,
    name: Path<String>,
    query: Query<PageQuery>,
) -> Result<HttpResponse, Error> {
    follow_collection(ctx, name.into_inner(), PERSON, false, query.into_inner()).await
}

pub async fn group_followers(
    ctx: Ctx,
    name: Path<String>,
    query: Query<PageQuery>,
) -> Result<HttpResponse, Error> {
    follow_collection(ctx, name.into_inner(), GROUP, true, query.into_inner()).await
}

/// `GET /activities/{id}`: an activity this instance sent.
pub async fn activity(ctx: Ctx, id: Path<i64>) -> Result<HttpResponse, Error> {
    let ap_id = super::activities::activity_id(&ctx.config, id.into_inner());
    let data = ctx
        .db
        .run(move |conn| deliveries::activity_data(conn, &ap_id))
        .await?
        .ok_or(Error::NotFound)?;
    Ok(HttpResponse::Ok()
        .content_type(super::ACTIVITY_JSON)
        .body(data))
}
