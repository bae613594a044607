//! `/api/v1/lists`: lists of followed accounts and their members.

use super::auth::Auth;
use super::entities::account::Account;
use super::params::{flexible_bool, parse_id, string_list, Params};
use crate::error::Error;
use crate::service::lists::{self as list_service, ListChange};
use crate::state::Ctx;
use crate::store::{lists as list_store, lists::List};
use actix_web::{web::Path, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Value};

fn list_json(list: &List) -> Value {
    json!({
        "id": list.id.to_string(),
        "title": list.title,
        "replies_policy": list.replies_policy,
        "exclusive": list.exclusive,
    })
}

#[derive(Deserialize)]
pub struct ListForm {
    title: Option<String>,
    replies_policy: Option<String>,
    #[serde(default, deserialize_with = "flexible_bool")]
    exclusive: Option<bool>,
}

impl ListForm {
    fn change(self) -> ListChange {
        ListChange {
            title: self.title,
            replies_policy: self.replies_policy,
            exclusive: self.exclusive,
        }
    }
}

/// `GET /api/v1/lists`
pub async fn index(ctx: Ctx, auth: Auth) -> Result<HttpResponse, Error> {
    let me = auth.user("read:lists")?.1.id;
    let lists = ctx
        .db
        .run(move |conn| list_store::of_account(conn, me))
        .await?;
    Ok(HttpResponse::Ok().json(lists.iter().map(list_json).collect::<Vec<_>>()))
}

/// `GET /api/v1/accounts/{id}/lists`: the signed-in person's lists holding the account.
pub async fn of_account(ctx: Ctx, auth: Auth, id: Path<String>) -> Result<HttpResponse, Error> {
    let me = auth.user("read:lists")?.1.id;
    let member = parse_id(&id)?;
    let lists = ctx
        .db
        .run(move |conn| list_store::containing(conn, me, member))
        .await?;
    Ok(HttpResponse::Ok().json(lists.iter().map(list_json).collect::<Vec<_>>()))
}

/// `POST /api/v1/lists`
pub async fn create(
    ctx: Ctx,
    auth: Auth,
    Params(form): Params<ListForm>,
) -> Result<HttpResponse, Error> {
    let me = auth.user("write:lists")?.1.id;
    let list = ctx
        .db
        .run(move |conn| list_service::create(conn, me, form.change()))
        .await?;
    Ok(HttpResponse::Ok().json(list_json(&list)))
}

/// `GET /api/v1/lists/{id}`
pub async fn get(ctx: Ctx, auth: Auth, id: Path<String>) -> Result<HttpResponse, Error> {
    let me = auth.user("read:lists")?.1.id;
    let id = parse_id(&id)?;
    let list = ctx
        .db
        .run(move |conn| list_service::owned(conn, me, id))
        .await?;
    Ok(HttpResponse::Ok().json(list_json(&list)))
}

/// `PUT /api/v1/lists/{id}`
pub async fn update(
    ctx: Ctx,
    auth: Auth,
    id: Path<String>,
    Params(form): Params<ListForm>,
) -> Result<HttpResponse, Error> {
    let me = auth.user("write:lists")?.1.id;
    let id = parse_id(&id)?;
    let list = ctx
        .db
        .run(move |conn| list_service::update(conn, me, id, form.change()))
        .await?;
    Ok(HttpResponse::Ok().json(list_json(&list)))
}

/// `DELETE /api/v1/lists/{id}`
pub async fn delete(ctx: Ctx, auth: Auth, id: Path<String>) -> Result<HttpResponse, Error> {
    let me = auth.user("write:lists")?.1.id;
    let id = parse_id(&id)?;
    ctx.db
        .run(move |conn| list_service::delete(conn, me, id))
        .await?;
    Ok(HttpResponse::Ok().json(json!({})))
}

/// `GET /api/v1/lists/{id}/accounts`
pub async fn members(ctx: Ctx, auth: Auth, id: Path<String>) -> Result<HttpResponse, Error> {
    let me = auth.user("read:lists")?.1.id;
    let (id, base) = (parse_id(&id)?, ctx.config.base_url());
    let body = ctx
        .db
        .run(move |conn| {
            let list = list_service::owned(conn, me, id)?;
            let ids = list_store::member_ids(conn, list.id)?;
            Account::list(conn, &base, &ids)
        })
        .await?;
    Ok(HttpResponse::Ok().json(body))
}

#[derive(Deserialize)]
pub struct MembersForm {
    #[serde(default, deserialize_with = "string_list")]
    account_ids: Vec<String>,
}

impl MembersForm {
    fn ids(&self) -> Result<Vec<i64>, Error> {
        self.account_ids
            .iter()
            .map(|id| {
                id.parse()
                    .map_err(|_| Error::Unprocessable(format!("{id:?} is not an account id")))
            })
            .collect()
    }
}

/// `POST /api/v1/lists/{id}/accounts` (`account_ids[]`): accounts the person follows.
pub async fn add_members(
    ctx: Ctx,
    auth: Auth,
    id: Path<String>,
    Params(form): Params<MembersForm>,
) -> Result<HttpResponse, Error> {
    let me = auth.user("write:lists")?.1.id;
    let (id, ids) = (parse_id(&id)?, form.ids()?);
    ctx.db
        .run(move |conn| list_service::add_accounts(conn, me, id, &ids))
        .await?;
    Ok(HttpResponse::Ok().json(json!({})))
}

/// `DELETE /api/v1/lists/{id}/accounts` (`account_ids[]`)
pub async fn remove_members(
    ctx: Ctx,
    auth: Auth,
    id: Path<String>,
    Params(form): Params<MembersForm>,
) -> Result<HttpResponse, Error> {
    let me = auth.user("write:lists")?.1.id;
    let (id, ids) = (parse_id(&id)?, form.ids()?);
    ctx.db
        .run(move |conn| list_service::remove_accounts(conn, me, id, &ids))
        .await?;
    Ok(HttpResponse::Ok().json(json!({})))
}
