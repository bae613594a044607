//! Application state, the one route table, and the HTTP server. Tests start the same
//! server through [`start`].

use crate::config::Config;
use crate::db::Db;
use crate::error::Error;
use crate::{api, delivery, federation, service, web};
use activitypub_federation::{
    config::{Data, FederationConfig, FederationMiddleware},
    resolver::ValidatingDnsResolver,
};
use actix_web::{
    dev::ServerHandle,
    middleware::{Compress, NormalizePath, TrailingSlash},
    web::{self as aw, ServiceConfig},
    App, HttpResponse, HttpServer,
};
use std::{net::TcpListener, sync::Arc, time::Duration};

/// What every handler needs; reached through [`Ctx`].
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub db: Db,
    /// Wakes this process's delivery worker after new deliveries are queued.
    pub deliveries: delivery::Waker,
}

/// Handler context: app state plus the federation library's per-request data.
pub type Ctx = Data<AppState>;

/// Largest request body accepted anywhere (JSON, forms, inbox posts).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// The route table, shared by the server and the tests.
pub fn routes(cfg: &mut ServiceConfig) {
    use api::{accounts, defaults, follows, guild, notifications, oauth, statuses};
    use federation::{actors, collections, inbox, nodeinfo, objects, webfinger};
    use web::{avatar_png, header_png, home, setup_form, setup_submit, thumbnail_png};
    cfg.app_data(aw::JsonConfig::default().limit(MAX_BODY_BYTES))
        .app_data(aw::FormConfig::default().limit(MAX_BODY_BYTES))
        .app_data(aw::PayloadConfig::default().limit(MAX_BODY_BYTES))
        .route("/healthz", aw::get().to(healthz))
        // Discovery
        .route("/.well-known/webfinger", aw::get().to(webfinger::webfinger))
        .route("/.well-known/host-meta", aw::get().to(webfinger::host_meta))
        .route("/.well-known/nodeinfo", aw::get().to(nodeinfo::well_known))
        .route("/nodeinfo/{version}", aw::get().to(nodeinfo::nodeinfo))
        // ActivityPub actors, collections, activities and inboxes
        .route("/users/{name}", aw::get().to(actors::person))
        .route(
            "/users/{name}/followers",
            aw::get().to(collections::person_followers),
        )
        .route(
            "/users/{name}/following",
            aw::get().to(collections::person_following),
        )
        .route("/users/{name}/inbox", aw::post().to(inbox::inbox))
        .route(
            "/users/{name}/outbox",
            aw::get().to(collections::person_outbox),
        )
        .route(
            "/users/{name}/featured",
            aw::get().to(collections::person_featured),
        )
        .route("/c/{name}", aw::get().to(actors::group))
        .route("/c/{name}/moderators", aw::get().to(actors::moderators))
        .route(
            "/c/{name}/followers",
            aw::get().to(collections::group_followers),
        )
        .route("/c/{name}/inbox", aw::post().to(inbox::inbox))
        .route("/c/{name}/outbox", aw::get().to(collections::group_outbox))
        .route(
            "/c/{name}/featured",
            aw::get().to(collections::group_featured),
        )
        .route("/inbox", aw::post().to(inbox::inbox))
        .route("/actor", aw::get().to(actors::instance_actor))
        .route("/activities/{id}", aw::get().to(collections::activity))
        .route("/statuses/{id}", aw::get().to(objects::status))
        // OAuth
        .route("/api/v1/apps", aw::post().to(oauth::create_app))
        .route("/oauth/authorize", aw::get().to(oauth::authorize_form))
        .route("/oauth/authorize", aw::post().to(oauth::authorize))
        .route("/oauth/token", aw::post().to(oauth::token))
        .route("/oauth/revoke", aw::post().to(oauth::revoke))
        .route(
            "/.well-known/oauth-authorization-server",
            aw::get().to(oauth::metadata),
        )
        // Client API
        .route("/api/v1/instance", aw::get().to(api::instance::v1))
        .route("/api/v2/instance", aw::get().to(api::instance::v2))
        .route("/api/v1/accounts", aw::post().to(accounts::register))
        .route(
            "/api/v1/accounts/update_credentials",
            aw::patch().to(accounts::update_credentials),
        )
        .route(
            "/api/v1/accounts/verify_credentials",
            aw::get().to(accounts::verify_credentials),
        )
        .route("/api/v1/accounts/lookup", aw::get().to(accounts::lookup))
        .route(
            "/api/v1/accounts/search",
            aw::get().to(accounts::search_accounts),
        )
        .route(
            "/api/v1/accounts/relationships",
            aw::get().to(accounts::relationships),
        )
        .route("/api/v1/accounts/{id}", aw::get().to(accounts::get))
        .route(
            "/api/v1/accounts/{id}/statuses",
            aw::get().to(statuses::by_account),
        )
        .route(
            "/api/v1/accounts/{id}/follow",
            aw::post().to(accounts::follow),
        )
        .route(
            "/api/v1/accounts/{id}/unfollow",
            aw::post().to(accounts::unfollow),
        )
        .route(
            "/api/v1/accounts/{id}/block",
            aw::post().to(accounts::block),
        )
        .route(
            "/api/v1/accounts/{id}/unblock",
            aw::post().to(accounts::unblock),
        )
        .route("/api/v1/accounts/{id}/mute", aw::post().to(accounts::mute))
        .route(
            "/api/v1/accounts/{id}/unmute",
            aw::post().to(accounts::unmute),
        )
        .route(
            "/api/v1/accounts/{id}/lists",
            aw::get().to(api::lists::of_account),
        )
        .route("/api/v1/blocks", aw::get().to(follows::blocks))
        .route("/api/v1/mutes", aw::get().to(follows::mutes))
        .route("/api/v2/search", aw::get().to(accounts::search))
        .route("/api/v1/statuses", aw::post().to(statuses::create))
        .route("/api/v1/statuses/{id}", aw::get().to(statuses::get))
        .route("/api/v1/statuses/{id}", aw::delete().to(statuses::delete))
        .route(
            "/api/v1/statuses/{id}/favourite",
            aw::post().to(statuses::favourite),
        )
        .route(
            "/api/v1/statuses/{id}/unfavourite",
            aw::post().to(statuses::unfavourite),
        )
        .route(
            "/api/v1/statuses/{id}/reblog",
            aw::post().to(statuses::reblog),
        )
        .route(
            "/api/v1/statuses/{id}/unreblog",
            aw::post().to(statuses::unreblog),
        )
        .route("/api/v1/statuses/{id}", aw::put().to(statuses::edit))
        .route(
            "/api/v1/statuses/{id}/bookmark",
            aw::post().to(statuses::bookmark),
        )
        .route(
            "/api/v1/statuses/{id}/unbookmark",
            aw::post().to(statuses::unbookmark),
        )
        .route(
            "/api/v1/statuses/{id}/history",
            aw::get().to(statuses::history),
        )
        .route("/api/v1/statuses/{id}/pin", aw::post().to(statuses::pin))
        .route(
            "/api/v1/statuses/{id}/unpin",
            aw::post().to(statuses::unpin),
        )
        .route("/api/v1/bookmarks", aw::get().to(statuses::bookmarks))
        .route("/api/v1/favourites", aw::get().to(statuses::favourites))
        .route(
            "/api/v1/statuses/{id}/source",
            aw::get().to(statuses::source),
        )
        .route(
            "/api/v1/statuses/{id}/context",
            aw::get().to(statuses::context),
        )
        .route(
            "/api/v1/statuses/{id}/favourited_by",
            aw::get().to(statuses::favourited_by),
        )
        .route(
            "/api/v1/statuses/{id}/reblogged_by",
            aw::get().to(statuses::reblogged_by),
        )
        .route("/api/v1/custom_emojis", aw::get().to(defaults::empty_list))
        .route("/api/v1/filters", aw::get().to(api::filters::index_v1))
        .route("/api/v2/filters", aw::get().to(api::filters::index))
        .route("/api/v2/filters", aw::post().to(api::filters::create))
        .route(
            "/api/v2/filters/keywords/{id}",
            aw::get().to(api::filters::get_keyword),
        )
        .route(
            "/api/v2/filters/keywords/{id}",
            aw::put().to(api::filters::update_keyword),
        )
        .route(
            "/api/v2/filters/keywords/{id}",
            aw::delete().to(api::filters::delete_keyword),
        )
        .route("/api/v2/filters/{id}", aw::get().to(api::filters::get))
        .route("/api/v2/filters/{id}", aw::put().to(api::filters::update))
        .route(
            "/api/v2/filters/{id}",
            aw::delete().to(api::filters::delete),
        )
        .route(
            "/api/v2/filters/{id}/keywords",
            aw::post().to(api::filters::add_keyword),
        )
        .route(
            "/api/v2/filters/{id}/keywords",
            aw::get().to(api::filters::keywords),
        )
        .route("/api/v1/lists", aw::get().to(api::lists::index))
        .route("/api/v1/lists", aw::post().to(api::lists::create))
        .route("/api/v1/lists/{id}", aw::get().to(api::lists::get))
        .route("/api/v1/lists/{id}", aw::put().to(api::lists::update))
        .route("/api/v1/lists/{id}", aw::delete().to(api::lists::delete))
        .route(
            "/api/v1/lists/{id}/accounts",
            aw::get().to(api::lists::members),
        )
        .route(
            "/api/v1/lists/{id}/accounts",
            aw::post().to(api::lists::add_members),
        )
        .route(
            "/api/v1/lists/{id}/accounts",
            aw::delete().to(api::lists::remove_members),
        )
        .route("/api/v1/timelines/list/{id}", aw::get().to(statuses::list))
        .route("/api/v1/followed_tags", aw::get().to(api::tags::followed))
        .route("/api/v1/tags/{name}", aw::get().to(api::tags::get))
        .route(
            "/api/v1/tags/{name}/follow",
            aw::post().to(api::tags::follow),
        )
        .route(
            "/api/v1/tags/{name}/unfollow",
            aw::post().to(api::tags::unfollow),
        )
        .route(
            "/api/v1/timelines/tag/{hashtag}",
            aw::get().to(statuses::tag),
        )
        .route("/api/v1/announcements", aw::get().to(defaults::empty_list))
        .route(
            "/api/v1/conversations",
            aw::get().to(api::conversations::list),
        )
        .route("/api/v1/markers", aw::get().to(api::markers::markers))
        .route("/api/v1/markers", aw::post().to(api::markers::save_markers))
        .route("/api/v1/preferences", aw::get().to(defaults::preferences))
        .route(
            "/api/v1/accounts/{id}/followers",
            aw::get().to(follows::followers),
        )
        .route(
            "/api/v1/accounts/{id}/following",
            aw::get().to(follows::following),
        )
        .route("/api/v1/follow_requests", aw::get().to(follows::requests))
        .route(
            "/api/v1/follow_requests/{id}/authorize",
            aw::post().to(follows::authorize),
        )
        .route(
            "/api/v1/follow_requests/{id}/reject",
            aw::post().to(follows::reject),
        )
        .route("/api/v1/timelines/home", aw::get().to(statuses::home))
        .route("/api/v1/notifications", aw::get().to(notifications::list))
        .route(
            "/api/v1/notifications/clear",
            aw::post().to(notifications::clear),
        )
        .route(
            "/api/v1/notifications/{id}",
            aw::get().to(notifications::get),
        )
        .route(
            "/api/v1/notifications/{id}/dismiss",
            aw::post().to(notifications::dismiss),
        )
        .route("/api/v1/timelines/public", aw::get().to(statuses::public))
        .route("/api/v1/directory", aw::get().to(guild::directory))
        .route("/api/v1/reports", aw::post().to(guild::mastodon_report))
        // Guild's community API
        .route("/api/v1/guild/communities", aw::post().to(guild::create))
        .route("/api/v1/guild/communities", aw::get().to(guild::list))
        .route("/api/v1/guild/communities/{id}", aw::get().to(guild::get))
        .route(
            "/api/v1/guild/communities/{id}",
            aw::patch().to(guild::update),
        )
        .route(
            "/api/v1/guild/communities/{id}/moderators",
            aw::get().to(guild::moderators),
        )
        .route(
            "/api/v1/guild/communities/{id}/moderators",
            aw::post().to(guild::add_moderator),
        )
        .route(
            "/api/v1/guild/communities/{id}/moderators/{account_id}",
            aw::delete().to(guild::remove_moderator),
        )
        .route(
            "/api/v1/guild/communities/{id}/bans",
            aw::get().to(guild::bans),
        )
        .route(
            "/api/v1/guild/communities/{id}/bans",
            aw::post().to(guild::ban),
        )
        .route(
            "/api/v1/guild/communities/{id}/bans/{account_id}",
            aw::delete().to(guild::unban),
        )
        .route(
            "/api/v1/guild/communities/{id}/join_requests",
            aw::get().to(guild::join_requests),
        )
        .route(
            "/api/v1/guild/communities/{id}/join_requests/{account_id}/authorize",
            aw::post().to(guild::authorize_join),
        )
        .route(
            "/api/v1/guild/communities/{id}/join_requests/{account_id}/reject",
            aw::post().to(guild::reject_join),
        )
        .route(
            "/api/v1/guild/communities/{id}/invites",
            aw::get().to(guild::invites),
        )
        .route(
            "/api/v1/guild/communities/{id}/invites",
            aw::post().to(guild::create_invite),
        )
        .route(
            "/api/v1/guild/communities/{id}/invites/{invite_id}",
            aw::delete().to(guild::revoke_invite),
        )
        .route(
            "/api/v1/guild/communities/{id}/reports",
            aw::get().to(guild::community_reports),
        )
        .route(
            "/api/v1/guild/communities/{id}/reports/{report_id}/resolve",
            aw::post().to(guild::resolve_report),
        )
        .route(
            "/api/v1/guild/communities/{id}/moderation_log",
            aw::get().to(guild::moderation_log),
        )
        .route(
            "/api/v1/guild/communities/{id}/health",
            aw::get().to(guild::health),
        )
        .route(
            "/api/v1/guild/invites/{token}",
            aw::post().to(guild::redeem_invite),
        )
        .route(
            "/api/v1/guild/statuses/{id}/report",
            aw::post().to(guild::report),
        )
        .route(
            "/api/v1/guild/statuses/{id}/{action}",
            aw::post().to(guild::moderate_status),
        )
        // Web pages and images
        .route("/", aw::get().to(home))
        .route("/setup", aw::get().to(setup_form))
        .route("/setup", aw::post().to(setup_submit))
        .route("/invite/{token}", aw::get().to(web::invites::invite_form))
        .route(
            "/invite/{token}",
            aw::post().to(web::invites::invite_submit),
        )
        .route("/media/{name}", aw::get().to(web::media))
        .route("/static/avatar.png", aw::get().to(avatar_png))
        .route("/static/header.png", aw::get().to(header_png))
        .route("/static/thumbnail.png", aw::get().to(thumbnail_png))
        .default_service(aw::to(not_found));
}

async fn healthz(ctx: Ctx) -> Result<HttpResponse, Error> {
    ctx.db
        .run(|conn| crate::store::settings::get(conn, "health").map(|_| ()))
        .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "status": "ok" })))
}

async fn not_found() -> Result<HttpResponse, Error> {
    Err(Error::NotFound)
}

/// HTTP client for fetches and deliveries. Unless insecure federation is on, it refuses to
/// connect to loopback and private addresses, and never follows redirects on its own.
pub fn http_client(config: &Config) -> Result<reqwest::Client, Error> {
    let timeout = Duration::from_secs(10);
    let user_agent = format!(
        "Guild/{} (+{})",
        env!("CARGO_PKG_VERSION"),
        config.base_url()
    );
    reqwest::Client::builder()
        .user_agent(user_agent)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(timeout)
        .connect_timeout(timeout)
        .dns_resolver(ValidatingDnsResolver::new(
            Vec::new(),
            !config.insecure_federation,
        ))
        .build()
        .map_err(|e| Error::internal(format!("cannot build HTTP client: {e}")))
}

/// Federation library settings over our state.
pub async fn federation_config(state: AppState) -> Result<FederationConfig<AppState>, Error> {
    let config = state.config.clone();
    let verifier = federation::policy::PolicyVerifier {
        state: state.clone(),
    };
    let (for_actor, db) = (config.clone(), state.db.clone());
    let instance_actor = db
        .run(move |conn| service::accounts::ensure_instance_actor(conn, &for_actor))
        .await?;
    let signer = federation::actors::ApAccount::new(instance_actor)?;
    FederationConfig::builder()
        .domain(config.domain.clone())
        .url_verifier(Box::new(verifier))
        .signed_fetch_actor(&signer)
        .app_data(state)
        .client(http_client(&config)?.into())
        .debug(config.insecure_federation)
        .allow_http_urls(config.insecure_federation)
        .build()
        .await
        .map_err(|e| Error::internal(format!("federation settings: {e}")))
}

/// Open the database, apply migrations and print the setup link when no admin exists.
pub async fn prepare(config: Config) -> Result<AppState, Error> {
    let db = Db::connect(&config.database_url, config.db_pool_size)?;
    let state = AppState {
        config: Arc::new(config),
        db,
        deliveries: delivery::Waker::default(),
    };
    let db = state.db.clone();
    tokio::task::spawn_blocking(move || db.migrate())
        .await
        .map_err(|e| Error::internal(e.to_string()))??;
    let config = state.config.clone();
    let link = state
        .db
        .run(move |conn| service::setup::setup_link_if_needed(conn, &config))
        .await?;
    if let Some(link) = link {
        tracing::warn!(
            "no administrator exists yet; open this one-time link to create one: {link}"
        );
    }
    Ok(state)
}

/// Browser apps (Elk, Phanpy) call the API from other origins; they need to read `Link` to
/// page and the rate-limit headers.
fn cors() -> actix_cors::Cors {
    actix_cors::Cors::default()
        .allow_any_origin()
        .allow_any_method()
        .allow_any_header()
        .expose_headers([
            "Link",
            "X-RateLimit-Limit",
            "X-RateLimit-Remaining",
            "X-RateLimit-Reset",
        ])
        .max_age(3600)
}

/// A running server: where it listens and how to stop it.
pub struct Running {
    pub addr: std::net::SocketAddr,
    pub handle: ServerHandle,
    pub server: actix_web::dev::Server,
    /// The delivery worker; stopping a server in-process (tests) aborts it.
    pub worker: tokio::task::AbortHandle,
}

/// Start serving `state` on `listener` (or on the configured address). Graceful shutdown on
/// SIGINT/SIGTERM: in-flight requests get up to 30 seconds.
pub async fn start(state: AppState, listener: Option<TcpListener>) -> Result<Running, Error> {
    let federation = federation_config(state.clone()).await?;
    let bind = state.config.bind;
    let limiter = aw::Data::new(api::rate_limit::Limiter::default());
    let idempotency = aw::Data::new(api::statuses::IdempotencyKeys::default());
    let factory = move || {
        App::new()
            .app_data(limiter.clone())
            .app_data(idempotency.clone())
            .wrap(actix_web::middleware::from_fn(api::rate_limit::limit))
            .wrap(FederationMiddleware::new(federation.clone()))
            .wrap(cors())
            .wrap(Compress::default())
            .wrap(NormalizePath::new(TrailingSlash::Trim))
            .wrap(tracing_actix_web::TracingLogger::default())
            .configure(routes)
    };
    let server = HttpServer::new(factory).shutdown_timeout(30);
    let server = match listener {
        Some(listener) => server.listen(listener),
        None => server.bind(bind),
    }
    .map_err(|e| {
        Error::internal(format!(
            "cannot listen on {bind}: {e}. Stop the other program on that port or set \
             GUILD_BIND (bind) to another address."
        ))
    })?;
    let addr = *server
        .addrs()
        .first()
        .ok_or_else(|| Error::internal("server has no address"))?;
    let server = server.run();
    let worker = tokio::spawn(delivery::run_worker(state)).abort_handle();
    Ok(Running {
        addr,
        handle: server.handle(),
        server,
        worker,
    })
}
