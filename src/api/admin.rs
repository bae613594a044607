//! Mastodon's admin API (`/api/v1/admin/…`, `/api/v2/admin/accounts`): people, every
//! community's reports, and domain blocks and allows backed by Guild's federation policies. Every call needs an
//! administrator's token with the matching `admin:read` or `admin:write` scope.

use super::auth::Auth;
use super::entities::{admin as entity, status as status_entity};
use super::pagination::{paged_response, PageParams};
use super::params::{flexible_bool, flexible_i64, parse_id, Params, Query};
use crate::db::DbConn;
use crate::domain::{DomainPolicy, Role};
use crate::error::Error;
use crate::service::{admin, policy};
use crate::state::Ctx;
use crate::store::accounts::{Account, AdminFilter, Standing};
use crate::store::moderation::Report;
use crate::store::statuses::Page;
use actix_web::{web::Path, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::HashMap;

/// Filters of `GET /api/v1/admin/accounts` (flags) and `/api/v2/admin/accounts` (choices).
#[derive(Deserialize, Default)]
pub struct AccountQuery {
    #[serde(default, deserialize_with = "flexible_bool")]
    local: Option<bool>,
    #[serde(default, deserialize_with = "flexible_bool")]
    remote: Option<bool>,
    #[serde(default, deserialize_with = "flexible_bool")]
    active: Option<bool>,
    #[serde(default, deserialize_with = "flexible_bool")]
    pending: Option<bool>,
    #[serde(default, deserialize_with = "flexible_bool")]
    disabled: Option<bool>,
    #[serde(default, deserialize_with = "flexible_bool")]
    suspended: Option<bool>,
    #[serde(default, deserialize_with = "flexible_bool")]
    silenced: Option<bool>,
    #[serde(default, deserialize_with = "flexible_bool")]
    sensitized: Option<bool>,
    #[serde(default, deserialize_with = "flexible_bool")]
    staff: Option<bool>,
    origin: Option<String>,
    status: Option<String>,
    permissions: Option<String>,
    username: Option<String>,
    display_name: Option<String>,
    by_domain: Option<String>,
    email: Option<String>,
    ip: Option<String>,
    #[serde(default, deserialize_with = "flexible_i64")]
    max_id: Option<i64>,
    #[serde(default, deserialize_with = "flexible_i64")]
    since_id: Option<i64>,
    #[serde(default, deserialize_with = "flexible_i64")]
    min_id: Option<i64>,
    #[serde(default, deserialize_with = "flexible_i64")]
    limit: Option<i64>,
}

impl AccountQuery {
    /// The filter asked for, or `None` when it can match nobody: Guild silences and marks
    /// sensitive no one, and keeps no sign-in addresses.
    fn filter(&self) -> Result<Option<AdminFilter>, Error> {
        let flag = |f: Option<bool>| f == Some(true);
        let status = self.status.as_deref();
        if flag(self.silenced) || flag(self.sensitized) || status == Some("silenced") {
            return Ok(None);
        }
        if self.ip.as_deref().is_some_and(|ip| !ip.is_empty()) {
            return Ok(None);
        }
        let local = match self.origin.as_deref() {
            Some("local") => Some(true),
            Some("remote") => Some(false),
            Some(other) => return Err(invalid("origin", "local, remote", other)),
            None if flag(self.local) => Some(true),
            None if flag(self.remote) => Some(false),
            None => None,
        };
        let standing = match status {
            Some("active") => Some(Standing::Active),
            Some("pending") => Some(Standing::Pending),
            Some("disabled") => Some(Standing::Disabled),
            Some("suspended") => Some(Standing::Suspended),
            Some(other) => {
                let choices = "active, pending, disabled, silenced, suspended";
                return Err(invalid("status", choices, other));
            }
            None if flag(self.pending) => Some(Standing::Pending),
            None if flag(self.disabled) => Some(Standing::Disabled),
            None if flag(self.suspended) => Some(Standing::Suspended),
            None if flag(self.active) => Some(Standing::Active),
            None => None,
        };
        let text = |v: &Option<String>| v.clone().filter(|v| !v.is_empty());
        Ok(Some(AdminFilter {
            local,
            standing,
            staff: flag(self.staff) || self.permissions.as_deref() == Some("staff"),
            username: text(&self.username),
            display_name: text(&self.display_name),
            domain: text(&self.by_domain),
            email: text(&self.email),
        }))
    }

    /// 100 by default and 200 at most, as Mastodon pages its admin lists.
    fn page(&self) -> Page {
        Page {
            max_id: self.max_id,
            since_id: self.since_id,
            min_id: self.min_id,
            limit: self.limit.unwrap_or(100).clamp(1, 200),
        }
    }
}

fn invalid(key: &str, choices: &str, value: &str) -> Error {
    Error::Unprocessable(format!("{key} must be one of {choices}, not {value:?}"))
}

/// `GET /api/v1/admin/accounts`, `GET /api/v2/admin/accounts`
pub async fn accounts(
    ctx: Ctx,
    auth: Auth,
    req: HttpRequest,
    Query(query): Query<AccountQuery>,
) -> Result<HttpResponse, Error> {
    auth.admin("admin:read:accounts")?;
    let (page, base) = (query.page(), ctx.config.base_url());
    let Some(filter) = query.filter()? else {
        return Ok(HttpResponse::Ok().json(json!([])));
    };
    let rows = ctx
        .db
        .run(move |conn| admin::accounts(conn, &filter, page))
        .await?;
    let ids: Vec<i64> = rows.iter().map(|(id, _)| *id).collect();
    let body: Vec<_> = rows
        .iter()
        .map(|(_, m)| entity::account(m, &base))
        .collect();
    Ok(paged_response(&req, &base, page, &ids).json(body))
}

/// `GET /api/v1/admin/accounts/{id}`
pub async fn account(ctx: Ctx, auth: Auth, id: Path<String>) -> Result<HttpResponse, Error> {
    auth.admin("admin:read:accounts")?;
    let id = parse_id(&id)?;
    let managed = ctx.db.run(move |conn| admin::account(conn, id)).await?;
    Ok(HttpResponse::Ok().json(entity::account(&managed, &ctx.config.base_url())))
}

/// `POST /api/v1/admin/accounts/{id}/{approve|reject|enable|unsuspend|unsilence|unsensitive}`
pub async fn decide(
    ctx: Ctx,
    auth: Auth,
    path: Path<(String, String)>,
) -> Result<HttpResponse, Error> {
    let admin_account = auth.admin("admin:write:accounts")?.1.clone();
    let (id, what) = path.into_inner();
    let id = parse_id(&id)?;
    let managed = ctx
        .db
        .run(move |conn| match what.as_str() {
            "approve" => admin::approve(conn, id),
            "reject" => admin::reject(conn, id),
            "enable" => {
                let target = admin::account(conn, id)?;
                admin::set_disabled(conn, &admin_account, &target, false)?;
                admin::account(conn, id)
            }
            "unsuspend" => {
                let target = admin::account(conn, id)?;
                admin::set_suspended(conn, &admin_account, &target, false)?;
                admin::account(conn, id)
            }
            // Nobody is silenced or marked sensitive: there is nothing to undo.
            "unsilence" | "unsensitive" => admin::account(conn, id),
            _ => Err(Error::NotFound),
        })
        .await?;
    Ok(HttpResponse::Ok().json(entity::account(&managed, &ctx.config.base_url())))
}

/// `DELETE /api/v1/admin/accounts/{id}`: the account is closed for good.
pub async fn delete_account(ctx: Ctx, auth: Auth, id: Path<String>) -> Result<HttpResponse, Error> {
    let admin_account = auth.admin("admin:write:accounts")?.1.clone();
    let id = parse_id(&id)?;
    let config = ctx.config.clone();
    let managed = ctx
        .db
        .run(move |conn| admin::delete(conn, &config, &admin_account, id))
        .await?;
    Ok(HttpResponse::Ok().json(entity::account(&managed, &ctx.config.base_url())))
}

#[derive(Deserialize)]
pub struct ActionForm {
    #[serde(rename = "type")]
    kind: Option<String>,
    #[serde(default, deserialize_with = "flexible_i64")]
    report_id: Option<i64>,
}

/// `POST /api/v1/admin/accounts/{id}/action`: `type` none, disable or suspend, and
/// optionally the report it answers.
pub async fn action(
    ctx: Ctx,
    auth: Auth,
    id: Path<String>,
    Params(form): Params<ActionForm>,
) -> Result<HttpResponse, Error> {
    let admin_account = auth.admin("admin:write:accounts")?.1.clone();
    let id = parse_id(&id)?;
    let action = admin::Action::parse(form.kind.as_deref().unwrap_or("none"))?;
    ctx.db
        .run(move |conn| admin::act(conn, &admin_account, id, action, form.report_id))
        .await?;
    Ok(HttpResponse::Ok().json(json!({})))
}

#[derive(Deserialize)]
pub struct RoleForm {
    role: Role,
}

/// `POST /api/v1/admin/accounts/{id}/role` (Guild's): `role` admin or user.
pub async fn role(
    ctx: Ctx,
    auth: Auth,
    id: Path<String>,
    Params(form): Params<RoleForm>,
) -> Result<HttpResponse, Error> {
    let admin_account = auth.admin("admin:write:accounts")?.1.clone();
    let id = parse_id(&id)?;
    let managed = ctx
        .db
        .run(move |conn| admin::set_role(conn, &admin_account, id, form.role))
        .await?;
    Ok(HttpResponse::Ok().json(entity::account(&managed, &ctx.config.base_url())))
}

/// `GET /api/v1/admin/domain_blocks`
pub async fn domain_blocks(ctx: Ctx, auth: Auth) -> Result<HttpResponse, Error> {
    auth.admin("admin:read:domain_blocks")?;
    let rows = ctx
        .db
        .run(|conn| crate::store::policies::rows(conn, policy::BLOCKS))
        .await?;
    Ok(HttpResponse::Ok().json(rows.iter().map(entity::domain_block).collect::<Vec<_>>()))
}

/// `GET /api/v1/admin/domain_blocks/{domain}`
pub async fn domain_block(
    ctx: Ctx,
    auth: Auth,
    domain: Path<String>,
) -> Result<HttpResponse, Error> {
    auth.admin("admin:read:domain_blocks")?;
    let row = ctx
        .db
        .run(move |conn| policy::find(conn, &domain, policy::BLOCKS))
        .await?;
    Ok(HttpResponse::Ok().json(entity::domain_block(&row)))
}

#[derive(Deserialize)]
pub struct BlockForm {
    domain: Option<String>,
    severity: Option<String>,
    #[serde(default, deserialize_with = "flexible_bool")]
    reject_media: Option<bool>,
    private_comment: Option<String>,
    public_comment: Option<String>,
}

impl BlockForm {
    /// Guild's policy for Mastodon's severity (silence by default, as Mastodon's).
    fn policy(&self) -> Result<DomainPolicy, Error> {
        match self.severity.as_deref().unwrap_or("silence") {
            "suspend" => Ok(DomainPolicy::Suspend),
            "silence" => Ok(DomainPolicy::Silence),
            "noop" if self.reject_media == Some(true) => Ok(DomainPolicy::RejectMedia),
            "noop" => Err(Error::Unprocessable(
                "a block with severity noop must reject media; to lift a block, delete it".into(),
            )),
            other => Err(invalid("severity", "silence, suspend, noop", other)),
        }
    }

    fn reason(&self) -> String {
        let comment = self
            .private_comment
            .as_deref()
            .or(self.public_comment.as_deref());
        comment.unwrap_or_default().trim().to_string()
    }
}

/// `POST /api/v1/admin/domain_blocks`
pub async fn add_domain_block(
    ctx: Ctx,
    auth: Auth,
    Params(form): Params<BlockForm>,
) -> Result<HttpResponse, Error> {
    auth.admin("admin:write:domain_blocks")?;
    let chosen = form.policy()?;
    let domain = form
        .domain
        .clone()
        .ok_or_else(|| Error::Unprocessable("domain is required".into()))?;
    let row = ctx
        .db
        .run(move |conn| policy::add(conn, &domain, chosen, &form.reason()))
        .await?;
    Ok(HttpResponse::Ok().json(entity::domain_block(&row)))
}

/// `PUT /api/v1/admin/domain_blocks/{domain}`: what is not given stays as it was.
pub async fn update_domain_block(
    ctx: Ctx,
    auth: Auth,
    domain: Path<String>,
    Params(form): Params<BlockForm>,
) -> Result<HttpResponse, Error> {
    auth.admin("admin:write:domain_blocks")?;
    let row = ctx
        .db
        .run(move |conn| {
            let current = policy::find(conn, &domain, policy::BLOCKS)?;
            let chosen = match form.severity.is_some() || form.reject_media.is_some() {
                true => form.policy()?,
                false => current.policy,
            };
            let reason = match form.private_comment.is_some() || form.public_comment.is_some() {
                true => form.reason(),
                false => current.reason,
            };
            policy::set(conn, &current.domain, chosen, &reason)?;
            policy::find(conn, &current.domain, policy::BLOCKS)
        })
        .await?;
    Ok(HttpResponse::Ok().json(entity::domain_block(&row)))
}

/// `DELETE /api/v1/admin/domain_blocks/{domain}`, `…/domain_allows/{domain}`
pub async fn remove_domain_policy(
    ctx: Ctx,
    auth: Auth,
    path: Path<(String, String)>,
) -> Result<HttpResponse, Error> {
    let (kind, domain) = path.into_inner();
    let kinds = match kind.as_str() {
        "domain_blocks" => policy::BLOCKS,
        _ => &[DomainPolicy::Allow],
    };
    auth.admin(&format!("admin:write:{kind}"))?;
    ctx.db
        .run(move |conn| {
            let row = policy::find(conn, &domain, kinds)?;
            policy::clear(conn, &row.domain)
        })
        .await?;
    Ok(HttpResponse::Ok().json(json!({})))
}

/// `GET /api/v1/admin/domain_allows`
pub async fn domain_allows(ctx: Ctx, auth: Auth) -> Result<HttpResponse, Error> {
    auth.admin("admin:read:domain_allows")?;
    let rows = ctx
        .db
        .run(|conn| crate::store::policies::rows(conn, &[DomainPolicy::Allow]))
        .await?;
    Ok(HttpResponse::Ok().json(rows.iter().map(entity::domain_allow).collect::<Vec<_>>()))
}

/// `GET /api/v1/admin/domain_allows/{domain}`
pub async fn domain_allow(
    ctx: Ctx,
    auth: Auth,
    domain: Path<String>,
) -> Result<HttpResponse, Error> {
    auth.admin("admin:read:domain_allows")?;
    let row = ctx
        .db
        .run(move |conn| policy::find(conn, &domain, &[DomainPolicy::Allow]))
        .await?;
    Ok(HttpResponse::Ok().json(entity::domain_allow(&row)))
}

#[derive(Deserialize)]
pub struct AllowForm {
    domain: Option<String>,
}

/// `POST /api/v1/admin/domain_allows`
pub async fn add_domain_allow(
    ctx: Ctx,
    auth: Auth,
    Params(form): Params<AllowForm>,
) -> Result<HttpResponse, Error> {
    auth.admin("admin:write:domain_allows")?;
    let domain = form
        .domain
        .ok_or_else(|| Error::Unprocessable("domain is required".into()))?;
    let row = ctx
        .db
        .run(move |conn| policy::add(conn, &domain, DomainPolicy::Allow, ""))
        .await?;
    Ok(HttpResponse::Ok().json(entity::domain_allow(&row)))
}

#[derive(Deserialize)]
pub struct ReportQuery {
    #[serde(default, deserialize_with = "flexible_bool")]
    resolved: Option<bool>,
    account_id: Option<String>,
    target_account_id: Option<String>,
    #[serde(flatten)]
    page: PageParams,
}

/// Reports as `Admin::Report`, with their people and posts loaded once for all.
fn render_reports(
    conn: &mut DbConn,
    base_url: &str,
    admin: &Account,
    reports: &[Report],
) -> Result<Vec<Value>, Error> {
    let mut ids: Vec<i64> = reports
        .iter()
        .flat_map(|r| [Some(r.reporter_id), Some(r.target_account_id)])
        .chain(reports.iter().map(|r| r.assigned_account_id))
        .chain(reports.iter().map(|r| r.resolved_by_id))
        .flatten()
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let people = admin::managed_by_ids(conn, &ids)?;
    let status_ids: Vec<i64> = reports.iter().filter_map(|r| r.status_id).collect();
    let rows = crate::store::statuses::by_ids(conn, &status_ids)?;
    // Administrators see what was reported whatever its visibility.
    let statuses = status_entity::render(conn, base_url, Some(admin), &rows)?
        .into_iter()
        .map(|s| Ok((s.id.clone(), serde_json::to_value(s)?)))
        .collect::<Result<HashMap<_, _>, serde_json::Error>>()
        .map_err(|e| Error::caused_by("rendering reported posts", e))?;
    Ok(reports
        .iter()
        .map(|r| entity::report(r, &people, &statuses, base_url))
        .collect())
}

/// `GET /api/v1/admin/reports`: every community's open reports (resolved ones with
/// `resolved=true`), newest first.
pub async fn reports(
    ctx: Ctx,
    auth: Auth,
    req: HttpRequest,
    Query(query): Query<ReportQuery>,
) -> Result<HttpResponse, Error> {
    let me = auth.admin("admin:read:reports")?.1.clone();
    let reporter = query.account_id.as_deref().map(parse_id).transpose()?;
    let target = query
        .target_account_id
        .as_deref()
        .map(parse_id)
        .transpose()?;
    let (page, base) = (query.page.page(), ctx.config.base_url());
    let resolved = query.resolved.unwrap_or(false);
    let base_for_render = base.clone();
    let (ids, body) = ctx
        .db
        .run(move |conn| {
            let rows = admin::reports(conn, resolved, reporter, target, page)?;
            let (ids, reports): (Vec<i64>, Vec<Report>) = rows.into_iter().unzip();
            Ok((ids, render_reports(conn, &base_for_render, &me, &reports)?))
        })
        .await?;
    Ok(paged_response(&req, &base, page, &ids).json(body))
}

/// `GET /api/v1/admin/reports/{id}`
pub async fn report(ctx: Ctx, auth: Auth, id: Path<String>) -> Result<HttpResponse, Error> {
    let me = auth.admin("admin:read:reports")?.1.clone();
    let id = parse_id(&id)?;
    let base = ctx.config.base_url();
    let body = ctx
        .db
        .run(move |conn| {
            let found = admin::report(conn, id)?;
            render_reports(conn, &base, &me, &[found])
        })
        .await?;
    Ok(HttpResponse::Ok().json(&body[0]))
}

/// `POST /api/v1/admin/reports/{id}/{assign_to_self|unassign|resolve|reopen}`
pub async fn handle_report(
    ctx: Ctx,
    auth: Auth,
    path: Path<(String, String)>,
) -> Result<HttpResponse, Error> {
    let me = auth.admin("admin:write:reports")?.1.clone();
    let (id, what) = path.into_inner();
    let id = parse_id(&id)?;
    let base = ctx.config.base_url();
    let body = ctx
        .db
        .run(move |conn| {
            let changed = match what.as_str() {
                "assign_to_self" => admin::assign_report(conn, id, Some(&me))?,
                "unassign" => admin::assign_report(conn, id, None)?,
                "resolve" => admin::resolve_report(conn, &me, id)?,
                "reopen" => admin::reopen_report(conn, id)?,
                _ => return Err(Error::NotFound),
            };
            render_reports(conn, &base, &me, &[changed])
        })
        .await?;
    Ok(HttpResponse::Ok().json(&body[0]))
}

/// The admin API's routes.
pub fn routes() -> actix_web::Scope {
    use actix_web::web as aw;
    let account = "/accounts/{id:[0-9]+}";
    aw::scope("/api/v1/admin")
        .route("/accounts", aw::get().to(accounts))
        .route(account, aw::get().to(self::account))
        .route(account, aw::delete().to(delete_account))
        .route(&format!("{account}/action"), aw::post().to(action))
        .route(&format!("{account}/role"), aw::post().to(role))
        .route(
            &format!("{account}/{{what:approve|reject|enable|unsuspend|unsilence|unsensitive}}"),
            aw::post().to(decide),
        )
        .route("/reports", aw::get().to(reports))
        .route("/reports/{id:[0-9]+}", aw::get().to(report))
        .route(
            "/reports/{id:[0-9]+}/{what:assign_to_self|unassign|resolve|reopen}",
            aw::post().to(handle_report),
        )
        .route("/domain_blocks", aw::get().to(domain_blocks))
        .route("/domain_blocks", aw::post().to(add_domain_block))
        .route("/domain_blocks/{domain}", aw::get().to(domain_block))
        .route("/domain_blocks/{domain}", aw::put().to(update_domain_block))
        .route("/domain_allows", aw::get().to(domain_allows))
        .route("/domain_allows", aw::post().to(add_domain_allow))
        .route("/domain_allows/{domain}", aw::get().to(domain_allow))
        .route(
            "/{kind:domain_blocks|domain_allows}/{domain}",
            aw::delete().to(remove_domain_policy),
        )
}
