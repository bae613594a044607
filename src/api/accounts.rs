//! `/api/v1/accounts`: the signed-in account, profiles, follows and relationships, and
//! finding accounts by name.

use super::auth::Auth;
use super::entities::account::Account;
use super::params::{flexible_bool, parse_id, Files, Params, Query, WithFiles};
use crate::domain::{FollowState, Role};
use crate::error::Error;
use crate::federation::resolve;
use crate::service::follows as follow_service;
use crate::state::Ctx;
use crate::store::{
    accounts::{self as account_store, Account as AccountRow},
    follows,
    users::User,
};
use actix_web::{web::Path, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Value};

fn with_source(account: &AccountRow, user: &User, base: &str) -> Value {
    let mut body = serde_json::to_value(Account::from_row(account, base)).unwrap_or_default();
    body["source"] = json!({
        "privacy": "public",
        "sensitive": false,
        "language": user.locale,
        "note": account.note,
        "fields": [],
        "follow_requests_count": 0,
        "indexable": account.discoverable,
        "hide_collections": false,
        "discoverable": account.discoverable,
    });
    let admin = user.role == Role::Admin;
    body["role"] = json!({
        "id": if admin { "3" } else { "-99" },
        "name": if admin { "Admin" } else { "" },
        "permissions": if admin { "1" } else { "0" },
        "color": "",
        "highlighted": admin,
    });
    body
}

/// `GET /api/v1/accounts/verify_credentials`
pub async fn verify_credentials(ctx: Ctx, auth: Auth) -> Result<HttpResponse, Error> {
    let (user, account) = auth.user("read:accounts")?;
    Ok(HttpResponse::Ok().json(with_source(account, user, &ctx.config.base_url())))
}

async fn account_by_id(ctx: &Ctx, id: &str) -> Result<AccountRow, Error> {
    let id = parse_id(id)?;
    ctx.db
        .run(move |conn| account_store::by_id(conn, id))
        .await?
        .filter(|a| !a.suspended)
        .ok_or(Error::NotFound)
}

/// `GET /api/v1/accounts/{id}`
pub async fn get(ctx: Ctx, id: Path<String>) -> Result<HttpResponse, Error> {
    let account = account_by_id(&ctx, &id).await?;
    shown(&ctx, account).await
}

/// One account as its own page in the API shows it, with where it moved.
async fn shown(ctx: &Ctx, account: AccountRow) -> Result<HttpResponse, Error> {
    let base = ctx.config.base_url();
    let body = ctx
        .db
        .run(move |conn| Account::one(conn, &base, &account))
        .await?;
    Ok(HttpResponse::Ok().json(body))
}

#[derive(Deserialize)]
pub struct LookupParams {
    acct: String,
}

/// `GET /api/v1/accounts/lookup?acct=`: local names, and `user@domain` resolved through
/// webfinger when not known yet.
pub async fn lookup(ctx: Ctx, Query(params): Query<LookupParams>) -> Result<HttpResponse, Error> {
    let account = resolve::account(&ctx, &params.acct).await?;
    shown(&ctx, account).await
}

pub fn relationship(conn: &mut crate::db::DbConn, me: i64, other: i64) -> Result<Value, Error> {
    Ok(relationships_of(conn, me, &[other])?
        .pop()
        .unwrap_or_default())
}

/// Relationships of `me` with each of `others`, in order, in four queries whatever their
/// number.
fn relationships_of(
    conn: &mut crate::db::DbConn,
    me: i64,
    others: &[i64],
) -> Result<Vec<Value>, Error> {
    let out = follows::states_among(conn, me, others, true)?;
    let back = follows::states_among(conn, me, others, false)?;
    let (blocking, blocked_by) = crate::store::blocks::blocks_among(conn, me, others)?;
    let mutes = crate::store::blocks::mutes_among(conn, me, others)?;
    let is = |states: &std::collections::HashMap<i64, FollowState>, id: &i64, s: FollowState| {
        states.get(id) == Some(&s)
    };
    Ok(others
        .iter()
        .map(|other| {
            json!({
                "id": other.to_string(),
                "following": is(&out, other, FollowState::Accepted),
                "showing_reblogs": is(&out, other, FollowState::Accepted),
                "notifying": false,
                "languages": null,
                "followed_by": is(&back, other, FollowState::Accepted),
                "blocking": blocking.contains(other),
                "blocked_by": blocked_by.contains(other),
                "muting": mutes.contains_key(other),
                "muting_notifications": mutes.get(other).copied().unwrap_or(false),
                "requested": is(&out, other, FollowState::Pending),
                "requested_by": is(&back, other, FollowState::Pending),
                "domain_blocking": false,
                "endorsed": false,
                "note": "",
            })
        })
        .collect())
}

type FollowChange = fn(
    &mut crate::db::DbConn,
    &crate::config::Config,
    &AccountRow,
    &AccountRow,
) -> Result<(), Error>;

/// Change how the signed-in person stands to an account (follow, block, mute…), answering
/// the relationship afterwards.
async fn change_follow(
    ctx: Ctx,
    auth: Auth,
    id: Path<String>,
    scope: &str,
    change: FollowChange,
) -> Result<HttpResponse, Error> {
    let (_, me) = auth.user(scope)?;
    let (me, target, config) = (
        me.clone(),
        account_by_id(&ctx, &id).await?,
        ctx.config.clone(),
    );
    let body = ctx
        .db
        .run(move |conn| {
            change(conn, &config, &me, &target)?;
            relationship(conn, me.id, target.id)
        })
        .await?;
    Ok(HttpResponse::Ok().json(body))
}

/// `POST /api/v1/accounts/{id}/follow` (joining, for a community)
pub async fn follow(ctx: Ctx, auth: Auth, id: Path<String>) -> Result<HttpResponse, Error> {
    change_follow(
        ctx,
        auth,
        id,
        "write:follows",
        |conn, config, me, target| follow_service::follow(conn, config, me, target).map(|_| ()),
    )
    .await
}

/// `POST /api/v1/accounts/{id}/unfollow` (leaving, for a community)
pub async fn unfollow(ctx: Ctx, auth: Auth, id: Path<String>) -> Result<HttpResponse, Error> {
    change_follow(ctx, auth, id, "write:follows", follow_service::unfollow).await
}

/// `POST /api/v1/accounts/{id}/block`
pub async fn block(ctx: Ctx, auth: Auth, id: Path<String>) -> Result<HttpResponse, Error> {
    change_follow(ctx, auth, id, "write:blocks", crate::service::blocks::block).await
}

/// `POST /api/v1/accounts/{id}/unblock`
pub async fn unblock(ctx: Ctx, auth: Auth, id: Path<String>) -> Result<HttpResponse, Error> {
    change_follow(
        ctx,
        auth,
        id,
        "write:blocks",
        crate::service::blocks::unblock,
    )
    .await
}

#[derive(Deserialize)]
pub struct MuteParams {
    #[serde(default, deserialize_with = "flexible_bool")]
    notifications: Option<bool>,
}

/// `POST /api/v1/accounts/{id}/mute` (`notifications`, default true; `duration` is not kept)
pub async fn mute(
    ctx: Ctx,
    auth: Auth,
    id: Path<String>,
    Params(params): Params<MuteParams>,
) -> Result<HttpResponse, Error> {
    let notifications = params.notifications.unwrap_or(true);
    let (_, me) = auth.user("write:mutes")?;
    let (me, target) = (me.clone(), account_by_id(&ctx, &id).await?);
    let body = ctx
        .db
        .run(move |conn| {
            crate::service::blocks::mute(conn, &me, &target, notifications)?;
            relationship(conn, me.id, target.id)
        })
        .await?;
    Ok(HttpResponse::Ok().json(body))
}

/// `POST /api/v1/accounts/{id}/unmute`
pub async fn unmute(ctx: Ctx, auth: Auth, id: Path<String>) -> Result<HttpResponse, Error> {
    change_follow(ctx, auth, id, "write:mutes", |conn, _, me, target| {
        crate::service::blocks::unmute(conn, me, target)
    })
    .await
}

#[derive(Deserialize)]
pub struct RelationshipParams {
    #[serde(default, deserialize_with = "super::params::string_list")]
    id: Vec<String>,
}

/// `GET /api/v1/accounts/relationships?id[]=…`
pub async fn relationships(
    ctx: Ctx,
    auth: Auth,
    Query(params): Query<RelationshipParams>,
) -> Result<HttpResponse, Error> {
    let (_, me) = auth.user("read:follows")?;
    let me = me.id;
    let ids: Vec<i64> = params
        .id
        .iter()
        .filter_map(|id| id.parse().ok())
        .take(40)
        .collect();
    let body = ctx
        .db
        .run(move |conn| relationships_of(conn, me, &ids))
        .await?;
    Ok(HttpResponse::Ok().json(body))
}

/// An account we already know by `name@domain` (this instance's own domain names local
/// ones), without asking other servers.
pub(super) async fn known_account(ctx: &Ctx, acct: &str) -> Result<Option<AccountRow>, Error> {
    let acct = acct.trim_start_matches('@').to_string();
    let own = ctx.config.domain.clone();
    ctx.db
        .run(move |conn| {
            let (name, domain) = acct.split_once('@').unwrap_or((&acct, ""));
            let domain = Some(domain).filter(|d| !d.eq_ignore_ascii_case(&own));
            account_store::by_acct(conn, name, domain)
        })
        .await
}

#[derive(Deserialize)]
pub struct AccountSearchParams {
    q: String,
    #[serde(default, deserialize_with = "super::params::flexible_i64")]
    limit: Option<i64>,
    #[serde(default, deserialize_with = "flexible_bool")]
    resolve: Option<bool>,
}

/// `GET /api/v1/accounts/search`: accounts by name as typed (mention completion); a full
/// `user@domain` is looked up, and fetched through webfinger with `resolve=true`.
pub async fn search_accounts(
    ctx: Ctx,
    auth: Auth,
    Query(params): Query<AccountSearchParams>,
) -> Result<HttpResponse, Error> {
    auth.user("read:accounts")?;
    let base = ctx.config.base_url();
    let query = params.q.trim().trim_start_matches('@').to_string();
    let limit = params.limit.unwrap_or(40).clamp(1, 80);
    let mut found = Vec::new();
    if query.contains('@') {
        let exact = match params.resolve.unwrap_or(false) {
            true => resolve::account(&ctx, &query).await.ok(),
            false => known_account(&ctx, &query).await?,
        };
        found.extend(exact);
    } else if !query.is_empty() {
        found = ctx
            .db
            .run(move |conn| account_store::search(conn, &query, limit))
            .await?;
    }
    let body: Vec<Account> = found.iter().map(|a| Account::from_row(a, &base)).collect();
    Ok(HttpResponse::Ok().json(body))
}

#[derive(Deserialize)]
pub struct Registration {
    username: String,
    email: String,
    password: String,
    #[serde(default, deserialize_with = "flexible_bool")]
    agreement: Option<bool>,
}

/// `POST /api/v1/accounts`: sign-up with an app token.
pub async fn register(
    ctx: Ctx,
    auth: Auth,
    Params(form): Params<Registration>,
) -> Result<HttpResponse, Error> {
    auth.scope("write:accounts")?;
    if form.agreement == Some(false) {
        return Err(Error::Unprocessable("agreement must be accepted".into()));
    }
    let (app_id, config) = (auth.0.token.app_id, ctx.config.clone());
    let issued = ctx
        .db
        .run(move |conn| {
            let app = crate::store::oauth::app_by_id(conn, app_id)?.ok_or(Error::NotFound)?;
            crate::service::oauth::register(
                conn,
                &config,
                &app,
                &form.username,
                &form.email,
                &form.password,
            )
        })
        .await?;
    Ok(HttpResponse::Ok().json(super::oauth::token_json(issued)))
}

#[derive(Deserialize)]
pub struct ProfileForm {
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    note: Option<String>,
    #[serde(default, deserialize_with = "flexible_bool")]
    locked: Option<bool>,
    #[serde(default, deserialize_with = "flexible_bool")]
    discoverable: Option<bool>,
    #[serde(default, deserialize_with = "flexible_bool")]
    bot: Option<bool>,
}

/// Keep the uploaded `avatar` and `header` images; their URLs.
pub async fn save_images(
    ctx: &Ctx,
    mut files: Files,
) -> Result<(Option<String>, Option<String>), Error> {
    let mut urls = [None, None];
    for (url, name) in urls.iter_mut().zip(["avatar", "header"]) {
        if let Some(upload) = files.take(name) {
            let image = (upload.bytes, upload.content_type);
            *url =
                Some(crate::service::media::profile_image(&ctx.config, &ctx.files, image).await?);
        }
    }
    let [avatar, header] = urls;
    Ok((avatar, header))
}

/// `PATCH /api/v1/accounts/update_credentials`
pub async fn update_credentials(
    ctx: Ctx,
    auth: Auth,
    WithFiles(form, files): WithFiles<ProfileForm>,
) -> Result<HttpResponse, Error> {
    let (user, account) = auth.user("write:accounts")?;
    let (user, account, config) = (user.clone(), account.clone(), ctx.config.clone());
    let (avatar_url, header_url) = save_images(&ctx, files).await?;
    let changes = crate::service::accounts::ProfileChanges {
        display_name: form.display_name,
        note: form.note,
        locked: form.locked,
        discoverable: form.discoverable,
        bot: form.bot,
        avatar_url,
        header_url,
    };
    let updated = ctx
        .db
        .run(move |conn| crate::service::accounts::update_profile(conn, &config, &account, changes))
        .await?;
    Ok(HttpResponse::Ok().json(with_source(&updated, &user, &ctx.config.base_url())))
}
