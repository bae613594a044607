//! `/api/v1/guild/…`: Guild's extension of the client API for running communities —
//! settings, moderators, join requests, invites, bans, moderation of posts, reports, the
//! moderation log and health figures. Communities are shown as Mastodon accounts
//! (`group: true`) with a `guild` object holding their settings.

use super::auth::{Auth, MaybeAuth};
use super::entities::account::Account;
use super::entities::time;
use super::pagination::{respond_paged, PageParams};
use super::params::{flexible_bool, flexible_i64, Params, Query};
use crate::db::DbConn;
use crate::domain::{CommunityVisibility, FollowState, MembershipPolicy, PostingPolicy, Role};
use crate::error::Error;
use crate::federation::resolve;
use crate::service::{
    communities::{self, SettingsChange},
    moderation::{self, Action, BanOrder},
    reports, visibility,
};
use crate::state::Ctx;
use crate::store::{
    accounts::{self as account_store, Account as AccountRow},
    communities as community_store,
    follows::{self},
    moderation as moderation_store, statuses as status_store,
};
use actix_web::{web::Path, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Value};

fn parse_id(id: &str) -> Result<i64, Error> {
    id.parse().map_err(|_| Error::NotFound)
}

fn community_by_id(conn: &mut DbConn, id: &str) -> Result<AccountRow, Error> {
    account_store::by_id(conn, parse_id(id)?)?
        .filter(|a| a.is_group() && !a.suspended)
        .ok_or(Error::NotFound)
}

fn account_by_id(conn: &mut DbConn, id: &str) -> Result<AccountRow, Error> {
    account_store::by_id(conn, parse_id(id)?)?.ok_or(Error::NotFound)
}

/// A community as an Account with its settings, and the viewer's standing in it.
fn community_json(
    conn: &mut DbConn,
    base: &str,
    community: &AccountRow,
    viewer: Option<&AccountRow>,
) -> Result<Value, Error> {
    let settings = community_store::by_account(conn, community.id)?.ok_or(Error::NotFound)?;
    let moderators = community_store::moderator_ids(conn, community.id)?;
    let membership = match viewer {
        Some(v) => follows::between(conn, v.id, community.id)?.map(|f| f.state),
        None => None,
    };
    let standing = (viewer.map(|v| v.id), membership);
    community_body(base, community, &settings, &moderators, standing)
}

/// [`community_json`] from what is already loaded: the viewer's id and follow state.
fn community_body(
    base: &str,
    community: &AccountRow,
    settings: &community_store::Community,
    moderators: &[i64],
    (viewer, membership): (Option<i64>, Option<FollowState>),
) -> Result<Value, Error> {
    let mut body = serde_json::to_value(Account::from_row(community, base))?;
    body["guild"] = json!({
        "membership_policy": settings.membership_policy,
        "posting_policy": settings.posting_policy,
        "visibility": settings.visibility,
        "rules": serde_json::from_str::<Value>(&settings.rules).unwrap_or(json!([])),
        "moderator_ids": moderators.iter().map(i64::to_string).collect::<Vec<_>>(),
        "member": membership == Some(FollowState::Accepted),
        "requested": membership == Some(FollowState::Pending),
        "moderator": viewer.is_some_and(|v| moderators.contains(&v)),
        "local": community.is_local(),
    });
    Ok(body)
}

#[derive(Deserialize, Default)]
pub struct SettingsForm {
    name: Option<String>,
    display_name: Option<String>,
    description: Option<String>,
    rules: Option<Vec<String>>,
    membership_policy: Option<MembershipPolicy>,
    posting_policy: Option<PostingPolicy>,
    visibility: Option<CommunityVisibility>,
    avatar: Option<super::params::Upload>,
    header: Option<super::params::Upload>,
}

impl SettingsForm {
    /// The change asked for, with uploaded images kept first.
    async fn change(self, ctx: &Ctx) -> Result<SettingsChange, Error> {
        let (avatar_url, header_url) =
            super::accounts::save_images(ctx, self.avatar, self.header).await?;
        Ok(SettingsChange {
            display_name: self.display_name,
            description: self.description,
            rules: self.rules,
            membership_policy: self.membership_policy,
            posting_policy: self.posting_policy,
            visibility: self.visibility,
            avatar_url,
            header_url,
        })
    }
}

/// `POST /api/v1/guild/communities`
pub async fn create(
    ctx: Ctx,
    auth: Auth,
    Params(mut form): Params<SettingsForm>,
) -> Result<HttpResponse, Error> {
    let (user, me) = auth.user("write:accounts")?;
    let (me, is_admin, config) = (me.clone(), user.role == Role::Admin, ctx.config.clone());
    let name = form
        .name
        .take()
        .ok_or_else(|| Error::Unprocessable("name is required".into()))?;
    let base = config.base_url();
    // Refused before any uploaded image is kept.
    if config.communities_by_admins_only && !is_admin {
        return Err(Error::Forbidden(
            "only administrators may create communities on this instance".into(),
        ));
    }
    let change = form.change(&ctx).await?;
    let body = ctx
        .db
        .run(move |conn| {
            let community = communities::create(conn, &config, &me, is_admin, &name, change)?;
            community_json(conn, &base, &community, Some(&me))
        })
        .await?;
    Ok(HttpResponse::Ok().json(body))
}

#[derive(Deserialize)]
pub struct DirectoryParams {
    #[serde(default, deserialize_with = "flexible_i64")]
    offset: Option<i64>,
    #[serde(default, deserialize_with = "flexible_i64")]
    limit: Option<i64>,
}

impl DirectoryParams {
    fn window(&self) -> (i64, i64) {
        (
            self.offset.unwrap_or(0).max(0),
            self.limit.unwrap_or(40).clamp(1, 80),
        )
    }
}

/// `GET /api/v1/guild/communities`: this instance's communities, most members first, with
/// their settings and activity.
pub async fn list(
    ctx: Ctx,
    auth: MaybeAuth,
    Query(params): Query<DirectoryParams>,
) -> Result<HttpResponse, Error> {
    let viewer = auth.viewer("read:accounts").cloned();
    let (base, (offset, limit)) = (ctx.config.base_url(), params.window());
    let body = ctx
        .db
        .run(move |conn| {
            // A handful of queries for the whole page, whatever its length.
            let page = community_store::local_directory(conn, offset, limit)?;
            let ids: Vec<i64> = page.iter().map(|(c, _)| c.id).collect();
            let moderators = community_store::moderators_of(conn, &ids)?;
            let states = match &viewer {
                Some(v) => follows::states_among(conn, v.id, &ids, true)?,
                None => Default::default(),
            };
            let mut healths = communities::healths(conn, &ids)?;
            let mut list = Vec::new();
            for (community, settings) in &page {
                let mods: Vec<i64> = moderators
                    .iter()
                    .filter(|(c, _)| *c == community.id)
                    .map(|(_, m)| *m)
                    .collect();
                let membership = states.get(&community.id).copied();
                let viewer_id = viewer.as_ref().map(|v| v.id);
                let mut body =
                    community_body(&base, community, settings, &mods, (viewer_id, membership))?;
                // A members-only community's figures are for its members.
                let insight = settings.visibility != CommunityVisibility::Members
                    || membership == Some(FollowState::Accepted)
                    || viewer_id.is_some_and(|v| mods.contains(&v));
                if insight {
                    body["guild"]["health"] = serde_json::to_value(healths.remove(&community.id))?;
                }
                list.push(body);
            }
            Ok(list)
        })
        .await?;
    Ok(HttpResponse::Ok().json(body))
}

/// `GET /api/v1/guild/communities/{id}`
pub async fn get(ctx: Ctx, auth: MaybeAuth, id: Path<String>) -> Result<HttpResponse, Error> {
    let viewer = auth.viewer("read:accounts").cloned();
    let base = ctx.config.base_url();
    let body = ctx
        .db
        .run(move |conn| {
            let community = community_by_id(conn, &id)?;
            community_json(conn, &base, &community, viewer.as_ref())
        })
        .await?;
    Ok(HttpResponse::Ok().json(body))
}

/// `PATCH /api/v1/guild/communities/{id}`
pub async fn update(
    ctx: Ctx,
    auth: Auth,
    id: Path<String>,
    Params(form): Params<SettingsForm>,
) -> Result<HttpResponse, Error> {
    let (_, me) = auth.user("write:accounts")?;
    let (me, config) = (me.clone(), ctx.config.clone());
    let base = config.base_url();
    // Refused before any uploaded image is kept.
    let (checked, moderator) = (id.clone(), me.clone());
    ctx.db
        .run(move |conn| {
            let community = community_by_id(conn, &checked)?;
            moderation::require_moderator(conn, &community, &moderator)
        })
        .await?;
    let change = form.change(&ctx).await?;
    let body = ctx
        .db
        .run(move |conn| {
            let community = community_by_id(conn, &id)?;
            let updated = communities::update(conn, &config, Some(&me), &community, change)?;
            community_json(conn, &base, &updated, Some(&me))
        })
        .await?;
    Ok(HttpResponse::Ok().json(body))
}

/// Run `f` for a moderator of the community `community_id` (403 for anyone else) with a
/// token covering `scope`, and answer what it gives as JSON.
async fn as_moderator<F, T>(
    ctx: &Ctx,
    auth: &Auth,
    scope: &str,
    community_id: String,
    f: F,
) -> Result<HttpResponse, Error>
where
    F: FnOnce(&mut DbConn, &AccountRow, &AccountRow) -> Result<T, Error> + Send + 'static,
    T: serde::Serialize + Send + 'static,
{
    let me = auth.user(scope)?.1.clone();
    let body = ctx
        .db
        .run(move |conn| {
            let community = community_by_id(conn, &community_id)?;
            moderation::require_moderator(conn, &community, &me)?;
            f(conn, &community, &me)
        })
        .await?;
    Ok(HttpResponse::Ok().json(body))
}

/// `GET /api/v1/guild/communities/{id}/moderators`
pub async fn moderators(ctx: Ctx, id: Path<String>) -> Result<HttpResponse, Error> {
    let base = ctx.config.base_url();
    let body = ctx
        .db
        .run(move |conn| {
            let community = community_by_id(conn, &id)?;
            let ids = community_store::moderator_ids(conn, community.id)?;
            Account::list(conn, &base, &ids)
        })
        .await?;
    Ok(HttpResponse::Ok().json(body))
}

/// Run a moderator's action built from the request, and answer 200.
async fn act<F>(ctx: Ctx, auth: Auth, community_id: String, build: F) -> Result<HttpResponse, Error>
where
    F: FnOnce(&mut DbConn) -> Result<Action, Error> + Send + 'static,
{
    let (_, me) = auth.user("write:accounts")?;
    let (me, config) = (me.clone(), ctx.config.clone());
    let body = ctx
        .db
        .run(move |conn| {
            let community = community_by_id(conn, &community_id)?;
            let action = build(conn)?;
            moderation::act(conn, &config, &community, &me, &action)?;
            Ok(json!({ "action": action.name() }))
        })
        .await?;
    Ok(HttpResponse::Ok().json(body))
}

#[derive(Deserialize)]
pub struct AccountForm {
    account_id: String,
}

/// `POST /api/v1/guild/communities/{id}/moderators` with `account_id`
pub async fn add_moderator(
    ctx: Ctx,
    auth: Auth,
    id: Path<String>,
    Params(form): Params<AccountForm>,
) -> Result<HttpResponse, Error> {
    act(ctx, auth, id.into_inner(), move |conn| {
        let account = account_by_id(conn, &form.account_id)?;
        Ok(Action::AddModerator { account })
    })
    .await
}

/// `DELETE /api/v1/guild/communities/{id}/moderators/{account_id}`
pub async fn remove_moderator(
    ctx: Ctx,
    auth: Auth,
    path: Path<(String, String)>,
) -> Result<HttpResponse, Error> {
    let (id, account_id) = path.into_inner();
    act(ctx, auth, id, move |conn| {
        let account = account_by_id(conn, &account_id)?;
        Ok(Action::RemoveModerator { account })
    })
    .await
}

#[derive(Deserialize)]
pub struct BanForm {
    account_id: String,
    #[serde(default)]
    reason: String,
    /// Seconds until the ban ends; none for good.
    #[serde(default, deserialize_with = "flexible_i64")]
    expires_in: Option<i64>,
    #[serde(default, deserialize_with = "flexible_bool")]
    remove_content: Option<bool>,
}

/// `POST /api/v1/guild/communities/{id}/bans`
pub async fn ban(
    ctx: Ctx,
    auth: Auth,
    id: Path<String>,
    Params(form): Params<BanForm>,
) -> Result<HttpResponse, Error> {
    act(ctx, auth, id.into_inner(), move |conn| {
        let account = account_by_id(conn, &form.account_id)?;
        let expires_at = form.expires_in.map(super::params::expires_in).transpose()?;
        Ok(Action::Ban(BanOrder {
            account,
            reason: form.reason,
            expires_at,
            remove_content: form.remove_content.unwrap_or(false),
        }))
    })
    .await
}

/// `DELETE /api/v1/guild/communities/{id}/bans/{account_id}`
pub async fn unban(
    ctx: Ctx,
    auth: Auth,
    path: Path<(String, String)>,
) -> Result<HttpResponse, Error> {
    let (id, account_id) = path.into_inner();
    act(ctx, auth, id, move |conn| {
        let account = account_by_id(conn, &account_id)?;
        Ok(Action::Unban { account })
    })
    .await
}

/// `GET /api/v1/guild/communities/{id}/bans` (moderators)
pub async fn bans(ctx: Ctx, auth: Auth, id: Path<String>) -> Result<HttpResponse, Error> {
    let base = ctx.config.base_url();
    as_moderator(
        &ctx,
        &auth,
        "read:accounts",
        id.into_inner(),
        move |conn, community, _| {
            let bans = moderation_store::bans(conn, community.id, crate::time::now())?;
            let ids: Vec<i64> = bans.iter().map(|b| b.account_id).collect();
            let accounts = Account::list(conn, &base, &ids)?;
            Ok(bans
                .iter()
                .zip(accounts)
                .map(|(ban, account)| {
                    json!({
                        "account": account,
                        "reason": ban.reason,
                        "expires_at": ban.expires_at.map(time),
                        "created_at": time(ban.created_at),
                    })
                })
                .collect::<Vec<_>>())
        },
    )
    .await
}

/// `GET /api/v1/guild/communities/{id}/join_requests` (moderators)
pub async fn join_requests(ctx: Ctx, auth: Auth, id: Path<String>) -> Result<HttpResponse, Error> {
    let base = ctx.config.base_url();
    as_moderator(
        &ctx,
        &auth,
        "read:follows",
        id.into_inner(),
        move |conn, community, _| {
            let page = PageParams::default().page();
            let rows =
                follows::page_account_ids(conn, community.id, true, FollowState::Pending, page)?;
            let ids: Vec<i64> = rows.iter().map(|(_, a)| *a).collect();
            Account::list(conn, &base, &ids)
        },
    )
    .await
}

async fn decide_join(
    ctx: Ctx,
    auth: Auth,
    path: Path<(String, String)>,
    accept: bool,
) -> Result<HttpResponse, Error> {
    let (_, me) = auth.user("write:follows")?;
    let (me, config) = (me.clone(), ctx.config.clone());
    let (id, account_id) = path.into_inner();
    ctx.db
        .run(move |conn| {
            let community = community_by_id(conn, &id)?;
            let requester = account_by_id(conn, &account_id)?;
            communities::decide_join(conn, &config, &me, &community, &requester, accept)
        })
        .await?;
    Ok(HttpResponse::Ok().json(json!({ "accepted": accept })))
}

/// `POST /api/v1/guild/communities/{id}/join_requests/{account_id}/authorize`
pub async fn authorize_join(
    ctx: Ctx,
    auth: Auth,
    path: Path<(String, String)>,
) -> Result<HttpResponse, Error> {
    decide_join(ctx, auth, path, true).await
}

/// `POST /api/v1/guild/communities/{id}/join_requests/{account_id}/reject`
pub async fn reject_join(
    ctx: Ctx,
    auth: Auth,
    path: Path<(String, String)>,
) -> Result<HttpResponse, Error> {
    decide_join(ctx, auth, path, false).await
}

#[derive(Deserialize)]
pub struct InviteForm {
    #[serde(default, deserialize_with = "flexible_i64")]
    max_uses: Option<i64>,
    #[serde(default, deserialize_with = "flexible_i64")]
    expires_in: Option<i64>,
}

fn invite_json(base: &str, invite: &moderation_store::Invite, token: Option<&str>) -> Value {
    let mut body = json!({
        "id": invite.id.to_string(),
        "max_uses": invite.max_uses,
        "uses": invite.uses,
        "expires_at": invite.expires_at.map(time),
        "created_at": time(invite.created_at),
    });
    if let Some(token) = token {
        body["token"] = Value::from(token);
        body["url"] = Value::from(format!("{base}/invite/{token}"));
    }
    body
}

/// `POST /api/v1/guild/communities/{id}/invites`: the token is shown this once.
pub async fn create_invite(
    ctx: Ctx,
    auth: Auth,
    id: Path<String>,
    Params(form): Params<InviteForm>,
) -> Result<HttpResponse, Error> {
    let (_, me) = auth.user("write:follows")?;
    let (me, base) = (me.clone(), ctx.config.base_url());
    let expires_at = form.expires_in.map(super::params::expires_in).transpose()?;
    let max_uses = form
        .max_uses
        .map(|n| i32::try_from(n).map_err(|_| Error::Unprocessable("max_uses is too large".into())))
        .transpose()?;
    let body = ctx
        .db
        .run(move |conn| {
            let community = community_by_id(conn, &id)?;
            let (invite, token) =
                communities::create_invite(conn, &me, &community, max_uses, expires_at)?;
            Ok(invite_json(&base, &invite, Some(&token)))
        })
        .await?;
    Ok(HttpResponse::Ok().json(body))
}

/// `GET /api/v1/guild/communities/{id}/invites` (moderators)
pub async fn invites(ctx: Ctx, auth: Auth, id: Path<String>) -> Result<HttpResponse, Error> {
    let base = ctx.config.base_url();
    as_moderator(
        &ctx,
        &auth,
        "read:follows",
        id.into_inner(),
        move |conn, community, _| {
            let list = moderation_store::invites(conn, community.id)?;
            Ok(list
                .iter()
                .map(|i| invite_json(&base, i, None))
                .collect::<Vec<_>>())
        },
    )
    .await
}

/// `DELETE /api/v1/guild/communities/{id}/invites/{invite_id}`
pub async fn revoke_invite(
    ctx: Ctx,
    auth: Auth,
    path: Path<(String, String)>,
) -> Result<HttpResponse, Error> {
    let (id, invite_id) = path.into_inner();
    as_moderator(
        &ctx,
        &auth,
        "write:follows",
        id,
        move |conn, community, me| {
            communities::revoke_invite(conn, me, community, parse_id(&invite_id)?)?;
            Ok(json!({}))
        },
    )
    .await
}

#[derive(Deserialize)]
pub struct RedeemForm {
    /// For someone on another instance: their `name@domain`. Signed-in people join as
    /// themselves.
    acct: Option<String>,
}

/// `POST /api/v1/guild/invites/{token}`: join with an invite. A signed-in person joins at
/// once; a person named by `acct` (here or on another instance) is admitted when they join
/// from their own app.
pub async fn redeem_invite(
    ctx: Ctx,
    auth: MaybeAuth,
    token: Path<String>,
    Params(form): Params<RedeemForm>,
) -> Result<HttpResponse, Error> {
    let (account, joins) = match (&auth.0, form.acct) {
        (Some(_), _) => {
            let Some(me) = auth.viewer("write:follows") else {
                return Err(Error::Forbidden(
                    "This action is outside the authorized scopes (needs write:follows)".into(),
                ));
            };
            (me.clone(), true)
        }
        (None, Some(acct)) => (resolve::account(&ctx, &acct).await?, false),
        (None, None) => {
            return Err(Error::Unprocessable(
                "sign in, or give acct (name@domain) to join from another instance".into(),
            ))
        }
    };
    let (config, base) = (ctx.config.clone(), ctx.config.base_url());
    let body = ctx
        .db
        .run(move |conn| {
            let community = communities::redeem_invite(conn, &config, &token, &account, joins)?;
            community_json(conn, &base, &community, Some(&account))
        })
        .await?;
    Ok(HttpResponse::Ok().json(body))
}

/// A post in a community, seen by the signed-in moderator.
fn community_post(
    conn: &mut DbConn,
    viewer: &AccountRow,
    status_id: &str,
) -> Result<(AccountRow, status_store::Status), Error> {
    let status = status_store::by_id(conn, parse_id(status_id)?)?.ok_or(Error::NotFound)?;
    if !visibility::can_see(conn, Some(viewer), &status)? {
        return Err(Error::NotFound);
    }
    let community_id = status
        .community_id
        .ok_or_else(|| Error::Unprocessable("the post is not in a community".into()))?;
    let community = account_store::by_id(conn, community_id)?.ok_or(Error::NotFound)?;
    Ok((community, status))
}

#[derive(Deserialize, Default)]
pub struct ReasonForm {
    #[serde(default)]
    reason: String,
}

/// `POST /api/v1/guild/statuses/{id}/{action}`: remove, restore, lock, unlock, pin, unpin.
pub async fn moderate_status(
    ctx: Ctx,
    auth: Auth,
    path: Path<(String, String)>,
    Params(form): Params<ReasonForm>,
) -> Result<HttpResponse, Error> {
    let (_, me) = auth.user("write:statuses")?;
    let (me, config) = (me.clone(), ctx.config.clone());
    let (status_id, verb) = path.into_inner();
    let body = ctx
        .db
        .run(move |conn| {
            let (community, status) = community_post(conn, &me, &status_id)?;
            let action = match verb.as_str() {
                "remove" => Action::Remove {
                    status,
                    reason: form.reason,
                },
                "restore" => Action::Restore { status },
                "lock" => Action::Lock { status },
                "unlock" => Action::Unlock { status },
                "pin" => Action::Pin { status },
                "unpin" => Action::Unpin { status },
                _ => return Err(Error::NotFound),
            };
            moderation::act(conn, &config, &community, &me, &action)?;
            Ok(json!({ "action": action.name() }))
        })
        .await?;
    Ok(HttpResponse::Ok().json(body))
}

#[derive(Deserialize, Default)]
pub struct ReportForm {
    #[serde(default)]
    comment: String,
}

fn report_json(report: &moderation_store::Report) -> Value {
    json!({
        "id": report.id.to_string(),
        "community_id": report.community_id.to_string(),
        "reporter_id": report.reporter_id.to_string(),
        "target_account_id": report.target_account_id.to_string(),
        "status_id": report.status_id.map(|id| id.to_string()),
        "comment": report.comment,
        "resolved_at": report.resolved_at.map(time),
        "created_at": time(report.created_at),
    })
}

/// `POST /api/v1/guild/statuses/{id}/report`: tell the community's moderators.
pub async fn report(
    ctx: Ctx,
    auth: Auth,
    id: Path<String>,
    Params(form): Params<ReportForm>,
) -> Result<HttpResponse, Error> {
    let (_, me) = auth.user("write:reports")?;
    let (me, config) = (me.clone(), ctx.config.clone());
    let body = ctx
        .db
        .run(move |conn| {
            let (_, status) = community_post(conn, &me, &id)?;
            let report = reports::report(conn, &config, &me, &status, &form.comment)?;
            Ok(report_json(&report))
        })
        .await?;
    Ok(HttpResponse::Ok().json(body))
}

#[derive(Deserialize)]
pub struct ReportsParams {
    #[serde(default, deserialize_with = "flexible_bool")]
    resolved: Option<bool>,
    #[serde(default, deserialize_with = "flexible_i64")]
    max_id: Option<i64>,
}

/// `GET /api/v1/guild/communities/{id}/reports` (moderators): open ones unless `resolved`.
pub async fn community_reports(
    ctx: Ctx,
    auth: Auth,
    id: Path<String>,
    Query(params): Query<ReportsParams>,
) -> Result<HttpResponse, Error> {
    as_moderator(
        &ctx,
        &auth,
        "read:reports",
        id.into_inner(),
        move |conn, community, _| {
            let all = params.resolved.unwrap_or(false);
            let list = moderation_store::reports(conn, community.id, all, params.max_id, 40)?;
            Ok(list.iter().map(report_json).collect::<Vec<_>>())
        },
    )
    .await
}

/// `POST /api/v1/guild/communities/{id}/reports/{report_id}/resolve`
pub async fn resolve_report(
    ctx: Ctx,
    auth: Auth,
    path: Path<(String, String)>,
) -> Result<HttpResponse, Error> {
    let (id, report_id) = path.into_inner();
    as_moderator(
        &ctx,
        &auth,
        "write:reports",
        id,
        move |conn, community, me| {
            reports::resolve(conn, me, community, parse_id(&report_id)?)?;
            Ok(json!({}))
        },
    )
    .await
}

/// `GET /api/v1/guild/communities/{id}/moderation_log`: public, newest first, paged with
/// `Link` like Mastodon's lists.
/// A members-only community shows it to its members.
pub async fn moderation_log(
    ctx: Ctx,
    req: HttpRequest,
    auth: MaybeAuth,
    id: Path<String>,
    Query(params): Query<PageParams>,
) -> Result<HttpResponse, Error> {
    let viewer = auth.viewer("read:accounts").cloned();
    let base = ctx.config.base_url();
    respond_paged(&ctx, &req, &params, move |conn, page| {
        let community = community_by_id(conn, &id)?;
        require_insight(conn, &community, viewer.as_ref())?;
        let entries = moderation_store::log(conn, community.id, page)?;
        let mut ids: Vec<i64> = entries
            .iter()
            .flat_map(|e| [e.moderator_id, e.target_account_id])
            .flatten()
            .collect();
        ids.sort();
        ids.dedup();
        let accounts = Account::list(conn, &base, &ids)?;
        let find =
            |id: Option<i64>| id.and_then(|id| accounts.iter().find(|a| a.id == id.to_string()));
        let body: Vec<Value> = entries
            .iter()
            .map(|e| {
                json!({
                    "id": e.id.to_string(),
                    "action": e.action,
                    "moderator": find(e.moderator_id),
                    "target_account": find(e.target_account_id),
                    "target_status_id": e.target_status_id.map(|id| id.to_string()),
                    "reason": e.reason,
                    "expires_at": e.expires_at.map(time),
                    "created_at": time(e.created_at),
                })
            })
            .collect();
        Ok((entries.iter().map(|e| e.id).collect::<Vec<i64>>(), body))
    })
    .await
}

/// A members-only community's inner life (log, health) is for its members.
fn require_insight(
    conn: &mut DbConn,
    community: &AccountRow,
    viewer: Option<&AccountRow>,
) -> Result<(), Error> {
    if !communities::is_members_only(conn, community.id)? {
        return Ok(());
    }
    let member = match viewer {
        Some(v) => {
            communities::is_member(conn, community.id, v.id)?
                || community_store::is_moderator(conn, community.id, v.id)?
        }
        None => false,
    };
    if member {
        Ok(())
    } else {
        Err(Error::NotFound)
    }
}

/// `GET /api/v1/guild/communities/{id}/health`
pub async fn health(ctx: Ctx, auth: MaybeAuth, id: Path<String>) -> Result<HttpResponse, Error> {
    let viewer = auth.viewer("read:accounts").cloned();
    let body = ctx
        .db
        .run(move |conn| {
            let community = community_by_id(conn, &id)?;
            require_insight(conn, &community, viewer.as_ref())?;
            communities::health(conn, &community)
        })
        .await?;
    Ok(HttpResponse::Ok().json(body))
}

/// A report in Mastodon's Report shape.
pub fn mastodon_report_json(
    report: &moderation_store::Report,
    target: &AccountRow,
    base: &str,
) -> Value {
    json!({
        "id": report.id.to_string(),
        "action_taken": report.resolved_at.is_some(),
        "action_taken_at": report.resolved_at.map(time),
        "category": "other",
        "comment": report.comment,
        "forwarded": report.ap_id.is_some(),
        "created_at": time(report.created_at),
        "status_ids": report.status_id.map(|id| vec![id.to_string()]).unwrap_or_default(),
        "rule_ids": null,
        "target_account": Account::from_row(target, base),
    })
}

#[derive(Deserialize)]
pub struct MastodonReport {
    account_id: String,
    #[serde(default)]
    status_ids: Vec<String>,
    #[serde(default)]
    comment: String,
}

/// `POST /api/v1/reports` (Mastodon): each reported post that is in a community reaches its
/// moderators. Guild has no instance-wide report queue yet, so a report naming no such post
/// is refused rather than dropped.
pub async fn mastodon_report(
    ctx: Ctx,
    auth: Auth,
    Params(form): Params<MastodonReport>,
) -> Result<HttpResponse, Error> {
    let (_, me) = auth.user("write:reports")?;
    let (me, config, base) = (me.clone(), ctx.config.clone(), ctx.config.base_url());
    let body = ctx
        .db
        .run(move |conn| {
            let target = account_by_id(conn, &form.account_id)?;
            let mut filed = Vec::new();
            for id in &form.status_ids {
                let (_, status) = community_post(conn, &me, id)?;
                if status.account_id != target.id {
                    return Err(Error::Unprocessable(format!(
                        "status {id} is not by account {}",
                        form.account_id
                    )));
                }
                filed.push(reports::report(conn, &config, &me, &status, &form.comment)?);
            }
            let first = filed.first().ok_or_else(|| {
                Error::Unprocessable(
                    "name at least one post in a community (status_ids); reports go to \
                     community moderators"
                        .into(),
                )
            })?;
            let mut body = mastodon_report_json(first, &target, &base);
            body["status_ids"] = json!(form.status_ids);
            Ok(body)
        })
        .await?;
    Ok(HttpResponse::Ok().json(body))
}

#[derive(Deserialize)]
pub struct MastodonDirectory {
    #[serde(default, deserialize_with = "flexible_i64")]
    offset: Option<i64>,
    #[serde(default, deserialize_with = "flexible_i64")]
    limit: Option<i64>,
    order: Option<String>,
    #[serde(default, deserialize_with = "flexible_bool")]
    local: Option<bool>,
}

/// `GET /api/v1/directory` (Mastodon): discoverable people and communities.
pub async fn directory(
    ctx: Ctx,
    Query(params): Query<MastodonDirectory>,
) -> Result<HttpResponse, Error> {
    let base = ctx.config.base_url();
    let offset = params.offset.unwrap_or(0).max(0);
    let limit = params.limit.unwrap_or(40).clamp(1, 80);
    let newest = params.order.as_deref() == Some("new");
    let local = params.local.unwrap_or(false);
    let rows = ctx
        .db
        .run(move |conn| account_store::directory(conn, local, newest, offset, limit))
        .await?;
    let body: Vec<Account> = rows.iter().map(|a| Account::from_row(a, &base)).collect();
    Ok(HttpResponse::Ok().json(body))
}
