//! Creating communities, reading them, and their settings, moderators and health.

use super::{community_by_id, require_insight};
use crate::api::auth::{Auth, MaybeAuth};
use crate::api::entities::account::Account;
use crate::api::entities::community::{self as entity, community_json};
use crate::api::params::{flexible_i64, Files, Query, WithFiles};
use crate::domain::{CommunityVisibility, FollowState, MembershipPolicy, PostingPolicy, Role};
use crate::error::Error;
use crate::service::{
    communities::{self, SettingsChange},
    moderation,
};
use crate::state::Ctx;
use crate::store::{communities as community_store, follows};
use actix_web::{web::Path, HttpResponse};
use serde::Deserialize;

#[derive(Deserialize, Default)]
pub struct SettingsForm {
    name: Option<String>,
    display_name: Option<String>,
    description: Option<String>,
    rules: Option<Vec<String>>,
    membership_policy: Option<MembershipPolicy>,
    posting_policy: Option<PostingPolicy>,
    visibility: Option<CommunityVisibility>,
}

impl SettingsForm {
    /// The change asked for, with uploaded images kept first.
    async fn change(self, ctx: &Ctx, files: Files) -> Result<SettingsChange, Error> {
        let (avatar_url, header_url) = crate::api::accounts::save_images(ctx, files).await?;
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
    WithFiles(mut form, files): WithFiles<SettingsForm>,
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
    let change = form.change(&ctx, files).await?;
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
            let mut healths = crate::service::health::healths(conn, &ids)?;
            let mut list = Vec::new();
            for (community, settings) in &page {
                let mods: Vec<i64> = moderators
                    .iter()
                    .filter(|(c, _)| *c == community.id)
                    .map(|(_, m)| *m)
                    .collect();
                let membership = states.get(&community.id).copied();
                let viewer_id = viewer.as_ref().map(|v| v.id);
                let mut body = entity::community_body(
                    &base,
                    community,
                    settings,
                    &mods,
                    (viewer_id, membership),
                )?;
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
    WithFiles(form, files): WithFiles<SettingsForm>,
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
    let change = form.change(&ctx, files).await?;
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

/// `GET /api/v1/guild/communities/{id}/health`
pub async fn health(ctx: Ctx, auth: MaybeAuth, id: Path<String>) -> Result<HttpResponse, Error> {
    let viewer = auth.viewer("read:accounts").cloned();
    let body = ctx
        .db
        .run(move |conn| {
            let community = community_by_id(conn, &id)?;
            require_insight(conn, &community, viewer.as_ref())?;
            crate::service::health::health(conn, &community)
        })
        .await?;
    Ok(HttpResponse::Ok().json(body))
}
