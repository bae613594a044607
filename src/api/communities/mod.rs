//! `/api/v1/guild/…`: Guild's extension of the client API for running communities.
//! Communities are shown as Mastodon accounts (`group: true`) with a `guild` object holding
//! their settings. Handlers are grouped by concern: settings, membership (join requests and
//! invites), moderation, and reports.

pub mod membership;
pub mod moderation;
pub mod questions;
pub mod reports;
pub mod settings;

use crate::api::auth::Auth;
use crate::api::params::parse_id;
use crate::db::DbConn;
use crate::error::Error;
use crate::service::{
    communities,
    moderation::{self as moderation_service, Action},
    visibility,
};
use crate::state::Ctx;
use crate::store::{
    accounts::{self as account_store, Account as AccountRow},
    statuses as status_store,
};
use actix_web::{web as aw, HttpResponse};
use serde_json::json;

fn community_by_id(conn: &mut DbConn, id: &str) -> Result<AccountRow, Error> {
    account_store::by_id(conn, parse_id(id)?)?
        .filter(|a| a.is_group() && !a.suspended)
        .ok_or(Error::NotFound)
}

fn account_by_id(conn: &mut DbConn, id: &str) -> Result<AccountRow, Error> {
    account_store::by_id(conn, parse_id(id)?)?.ok_or(Error::NotFound)
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
            moderation_service::require_moderator(conn, &community, &me)?;
            f(conn, &community, &me)
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
            moderation_service::act(conn, &config, &community, &me, &action)?;
            Ok(json!({ "action": action.name() }))
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

/// A members-only community's inner life (log, health) is for its members: 404 for others.
fn require_insight(
    conn: &mut DbConn,
    community: &AccountRow,
    viewer: Option<&AccountRow>,
) -> Result<(), Error> {
    match communities::sees_inside(conn, community.id, viewer)? {
        true => Ok(()),
        false => Err(Error::NotFound),
    }
}

/// Guild's community API, under `/api/v1/guild`.
pub fn routes() -> actix_web::Scope {
    let community = "/communities/{id:[0-9]+}";
    let path = |rest: &str| format!("{community}{rest}");
    aw::scope("/api/v1/guild")
        .route("/communities", aw::post().to(settings::create))
        .route("/communities", aw::get().to(settings::list))
        .route(community, aw::get().to(settings::get))
        .route(community, aw::patch().to(settings::update))
        .route(&path("/moderators"), aw::get().to(settings::moderators))
        .route(
            &path("/moderators"),
            aw::post().to(moderation::add_moderator),
        )
        .route(
            &path("/moderators/{account_id:[0-9]+}"),
            aw::delete().to(moderation::remove_moderator),
        )
        .route(&path("/bans"), aw::get().to(moderation::bans))
        .route(&path("/bans"), aw::post().to(moderation::ban))
        .route(
            &path("/bans/{account_id:[0-9]+}"),
            aw::delete().to(moderation::unban),
        )
        .route(
            &path("/join_requests"),
            aw::get().to(membership::join_requests),
        )
        .route(
            &path("/join_requests/{account_id:[0-9]+}/{decision:authorize|reject}"),
            aw::post().to(membership::decide_join),
        )
        .route(&path("/invites"), aw::get().to(membership::invites))
        .route(&path("/invites"), aw::post().to(membership::create_invite))
        .route(
            &path("/invites/{invite_id:[0-9]+}"),
            aw::delete().to(membership::revoke_invite),
        )
        .route(&path("/reports"), aw::get().to(reports::community_reports))
        .route(
            &path("/reports/{report_id:[0-9]+}/resolve"),
            aw::post().to(reports::resolve_report),
        )
        .route(
            &path("/moderation_log"),
            aw::get().to(moderation::moderation_log),
        )
        .route(&path("/health"), aw::get().to(settings::health))
        .route(&path("/questions"), aw::get().to(questions::open))
        .route(&path("/export"), aw::get().to(moderation::export))
        .route("/invites/{token}", aw::post().to(membership::redeem_invite))
        .route(
            "/statuses/{id:[0-9]+}/report",
            aw::post().to(reports::report),
        )
        .route(
            "/statuses/{id:[0-9]+}/{action:remove|restore|lock|unlock|pin|unpin|accept|unaccept}",
            aw::post().to(moderation::moderate_status),
        )
}
