//! Actors' collections (followers, following and outboxes paged newest first; featured
//! posts whole), and outbound activities by id.

use super::actors::{activity_json, local_actor};
use crate::domain::{AccountKind, Visibility};
use crate::error::Error;
use crate::protocol::{collection, featured_collection};
use crate::state::Ctx;
use crate::store::{accounts::Account, deliveries, follows, statuses};
use actix_web::{
    web::{Path, Query},
    HttpRequest, HttpResponse,
};
use serde::Deserialize;
use serde_json::Value;
use std::collections::HashMap;

const PAGE_SIZE: i64 = 40;

/// `GET /users/{name}/{collection}` and `/c/{name}/{collection}`: a local person's
/// followers, following, outbox or featured posts, or a community's members (followers),
/// outbox or featured threads.
pub async fn collection(
    ctx: Ctx,
    req: HttpRequest,
    path: Path<(String, String, String)>,
    Query(query): Query<PageQuery>,
) -> Result<HttpResponse, Error> {
    super::signed_fetch::require(&ctx, &req).await?;
    let (prefix, name, which) = path.into_inner();
    let kind = match prefix.as_str() {
        "c" => AccountKind::Group,
        _ => AccountKind::Person,
    };
    let account = local_actor(&ctx, name, kind).await?;
    match (which.as_str(), kind) {
        ("followers", _) => follow_collection(ctx, account, true, query).await,
        ("following", AccountKind::Person) => follow_collection(ctx, account, false, query).await,
        ("outbox", _) => outbox(ctx, account, query).await,
        ("featured", _) => featured(ctx, account).await,
        _ => Err(Error::NotFound),
    }
}

#[derive(Deserialize)]
pub struct PageQuery {
    page: Option<String>,
    max_id: Option<i64>,
}

async fn follow_collection(
    ctx: Ctx,
    account: Account,
    followers: bool,
    query: PageQuery,
) -> Result<HttpResponse, Error> {
    let suffix = if followers { "followers" } else { "following" };
    let collection = format!("{}/{suffix}", account.ap_id);
    let total = if followers {
        account.followers_count
    } else {
        account.following_count
    };
    if query.page.is_none() {
        return Ok(activity_json(&collection::root(
            &collection,
            i64::from(total),
        )));
    }
    let (id, before) = (account.id, query.max_id);
    let rows = ctx
        .db
        .run(move |conn| follows::page_actor_ids(conn, id, followers, before, PAGE_SIZE))
        .await?;
    let last_id = rows
        .last()
        .map(|(id, _)| *id)
        .filter(|_| rows.len() as i64 == PAGE_SIZE);
    let items = rows
        .into_iter()
        .map(|(_, ap_id)| Value::from(ap_id))
        .collect();
    Ok(activity_json(&collection::page(
        &collection,
        before,
        items,
        last_id,
    )))
}

/// `GET /activities/{id}`: an activity this instance sent.
pub async fn activity(ctx: Ctx, req: HttpRequest, id: Path<i64>) -> Result<HttpResponse, Error> {
    super::signed_fetch::require(&ctx, &req).await?;
    let ap_id = crate::protocol::activity::activity_id(&ctx.config, id.into_inner());
    let data = ctx
        .db
        .run(move |conn| {
            let data = deliveries::activity_data(conn, &ap_id)?.ok_or(Error::NotFound)?;
            let activity: Value = serde_json::from_str(&data)?;
            // Only what was addressed to the public is served; the rest went to its recipients.
            let public = ["to", "cc"].iter().any(|k| {
                activity[*k]
                    .as_array()
                    .is_some_and(|list| list.iter().any(|v| v == crate::protocol::PUBLIC))
            });
            if !public {
                return Err(Error::NotFound);
            }
            // The post at the heart of it (an Announce wraps a Create that wraps the post)
            // must still be public, standing and not removed.
            let mut object = &activity["object"];
            while object["object"].is_string() || object["object"].is_object() {
                object = &object["object"];
            }
            let object = object.as_str().or_else(|| object["id"].as_str());
            if let Some(status) = object
                .map(|o| statuses::by_ap_id(conn, o))
                .transpose()?
                .flatten()
            {
                let deletion =
                    activity["type"] == "Delete" || activity["object"]["type"] == "Delete";
                if status.deleted_at.is_some() && !deletion {
                    return Err(Error::Gone);
                }
                let open = status.visibility == Visibility::Public
                    || status.visibility == Visibility::Unlisted;
                if !open || (status.removed_at.is_some() && !deletion) {
                    return Err(Error::NotFound);
                }
            }
            Ok(data)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .content_type(crate::protocol::ACTIVITY_JSON)
        .body(data))
}

/// An outbox: newest first, public and unlisted only. A person's lists its posts as `Create`
/// and its boosts as `Announce`; a community's lists what was posted in it as `Announce`, as
/// Lemmy does. Objects are given by id, so a page is two queries however long it is.
async fn outbox(ctx: Ctx, account: Account, query: PageQuery) -> Result<HttpResponse, Error> {
    let collection = format!("{}/outbox", account.ap_id);
    let (id, group, before) = (account.id, account.is_group(), query.max_id);
    if query.page.is_none() {
        let total = ctx
            .db
            .run(move |conn| statuses::public_count(conn, id, group))
            .await?;
        return Ok(activity_json(&collection::root(&collection, total)));
    }
    let (rows, boosted) = ctx
        .db
        .run(move |conn| {
            let rows = statuses::public_page(conn, id, group, before, PAGE_SIZE)?;
            let ids: Vec<i64> = rows.iter().filter_map(|s| s.reblog_of_id).collect();
            let boosted: HashMap<i64, String> = statuses::ap_ids_of_statuses(conn, &ids)?
                .into_iter()
                .collect();
            Ok((rows, boosted))
        })
        .await?;
    let items: Vec<Value> = rows
        .iter()
        .filter_map(|status| {
            let (kind, object, activity_id) = match status.reblog_of_id {
                Some(of) => ("Announce", boosted.get(&of)?.clone(), status.ap_id.clone()),
                None if group => (
                    "Announce",
                    status.ap_id.clone(),
                    format!("{}#announce", status.ap_id),
                ),
                None => (
                    "Create",
                    status.ap_id.clone(),
                    format!("{}#create", status.ap_id),
                ),
            };
            Some(collection::outbox_item(
                &activity_id,
                kind,
                &account.ap_id,
                &object,
                &crate::time::rfc3339(status.created_at),
            ))
        })
        .collect();
    let last_id = rows
        .last()
        .map(|s| s.id)
        .filter(|_| rows.len() as i64 == PAGE_SIZE);
    Ok(activity_json(&collection::page(
        &collection,
        before,
        items,
        last_id,
    )))
}

/// Pinned posts: a community's pinned threads (Lemmy reads them from here), a person's
/// profile pins (Mastodon's); public and unlisted ones only.
async fn featured(ctx: Ctx, account: Account) -> Result<HttpResponse, Error> {
    let id = account.id;
    let pinned = match account.kind {
        AccountKind::Group => {
            ctx.db
                .run(move |conn| statuses::pinned_in(conn, id))
                .await?
        }
        _ => {
            ctx.db
                .run(move |conn| statuses::profile_pinned(conn, id))
                .await?
        }
    };
    let items: Vec<&str> = pinned
        .iter()
        .filter(|s| s.visibility.is_open())
        .map(|s| s.ap_id.as_str())
        .collect();
    let id = featured_collection(&account.ap_id);
    Ok(activity_json(&collection::whole(&id, &items)))
}
