//! The HTTP server: start-up (`prepare`), the middleware every request passes, and the
//! doors mounted side by side. Each door declares its own routes; tests start the same
//! server through [`start`].

use crate::config::Config;
use crate::db::Db;
use crate::error::Error;
use crate::files::FileStore;
use crate::state::{AppState, MAX_BODY_BYTES};
use crate::{api, delivery, federation, service, web};
use activitypub_federation::config::{FederationConfig, FederationMiddleware};
use actix_web::{
    dev::ServerHandle,
    middleware::{Compress, NormalizePath, TrailingSlash},
    web::{self as aw, ServiceConfig},
    App, HttpServer,
};
use std::{net::TcpListener, sync::Arc};

/// Every door's routes, with the body limits that apply to all of them.
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.app_data(aw::JsonConfig::default().limit(MAX_BODY_BYTES))
        .app_data(aw::FormConfig::default().limit(MAX_BODY_BYTES))
        .app_data(aw::PayloadConfig::default().limit(MAX_BODY_BYTES))
        .configure(federation::routes)
        .configure(api::routes)
        .configure(web::routes)
        .default_service(aw::to(not_found));
}

async fn not_found() -> Result<actix_web::HttpResponse, Error> {
    Err(Error::NotFound)
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
    let client = federation::fetch::client(state.http.clone());
    FederationConfig::builder()
        .domain(config.domain.clone())
        .url_verifier(Box::new(verifier))
        .signed_fetch_actor(&signer)
        .app_data(state)
        .client(client)
        .debug(config.insecure_federation)
        .allow_http_urls(config.insecure_federation)
        .build()
        .await
        .map_err(|e| Error::caused_by("federation settings", e))
}

/// Open the database, apply migrations and print the setup link when no admin exists.
pub async fn prepare(config: Config) -> Result<AppState, Error> {
    let db = Db::connect(&config.database_url, config.db_pool_size)?;
    let sso = match &config.sso {
        Some(settings) => Some(Arc::new(crate::sso::Provider::new(
            settings.clone(),
            &config.base_url(),
        )?)),
        None => None,
    };
    let state = AppState {
        sso,
        http: crate::delivery::http_client(&config)?,
        files: FileStore::open(&config)?,
        config: Arc::new(config),
        db,
        stats: Default::default(),
        metrics: Default::default(),
    };
    let db = state.db.clone();
    tokio::task::spawn_blocking(move || db.migrate())
        .await
        .map_err(|e| Error::caused_by("database migration task failed", e))??;
    // What SQL alone could not migrate; done once per database, when it first serves (so a
    // database `guild db copy` migrates stays empty for the copy).
    let indexed = state
        .db
        .run(crate::store::search::index_remote_text)
        .await?;
    if indexed > 0 {
        tracing::info!("indexed the text of {indexed} posts from elsewhere for search");
    }
    let db = state.db.clone();
    let unanalysed = tokio::task::spawn_blocking(move || db.analyse_if_autovacuum_off())
        .await
        .map_err(|e| Error::caused_by("database analysis task failed", e))??;
    if unanalysed {
        tracing::warn!(
            "PostgreSQL's autovacuum is off, so nothing keeps the statistics of Guild's tables \
             current and queries slow down as they grow; Guild analyses them itself, now and \
             each minute the tables that changed, but nothing vacuums them. Set \
             `autovacuum = on` in postgresql.conf (its default)"
        );
    }
    let config = state.config.clone();
    state
        .db
        .run(move |conn| service::setup::claim_domain(conn, &config))
        .await?;
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

/// Every hour, follows that had no answer are sent again (`service::follows::ask_again`),
/// files no post keeps are removed (`service::media::sweep`), and idle browser sessions end
/// (`service::web_sessions::sweep_idle`).
async fn hourly(state: AppState) {
    let mut hourly = tokio::time::interval(std::time::Duration::from_secs(3600));
    loop {
        hourly.tick().await;
        let unattached_for = service::media::UNATTACHED_FOR;
        match service::media::sweep((&state.db, &state.files), unattached_for, |_| {}).await {
            Ok(0) => {}
            Ok(n) => tracing::info!("removed {n} files that no post keeps"),
            Err(e) => tracing::warn!("removing files that no post keeps: {e}"),
        }
        let config = state.config.clone();
        match state
            .db
            .run(move |conn| service::follows::ask_again(conn, &config))
            .await
        {
            Ok(0) => {}
            Ok(n) => tracing::info!("asked {n} unanswered follows again"),
            Err(e) => tracing::warn!("asking unanswered follows again: {e}"),
        }
        match state.db.run(service::web_sessions::sweep_idle).await {
            Ok(0) => {}
            Ok(n) => tracing::info!("ended {n} idle browser sessions"),
            Err(e) => tracing::warn!("ending idle browser sessions: {e}"),
        }
    }
}

/// Every minute, the new counts of polls that took votes are sent out, and polls that have
/// ended are closed: voters told, final counts sent (`service::polls`); and where
/// PostgreSQL's autovacuum is off, the tables that changed are analysed.
async fn every_minute(state: AppState) {
    let mut minutely = tokio::time::interval(std::time::Duration::from_secs(60));
    loop {
        minutely.tick().await;
        match state.db.run(crate::db::analyse_changed).await {
            Ok(tables) if tables.is_empty() => {}
            Ok(tables) => tracing::debug!("analysed {}", tables.join(", ")),
            Err(e) => tracing::warn!("analysing changed tables: {e}"),
        }
        let config = state.config.clone();
        let polls = move |conn: &mut crate::db::DbConn| {
            let counted = service::polls::send_changed_counts(conn, &config)?;
            Ok((counted, service::polls::end_due(conn, &config)?))
        };
        match state.db.run(polls).await {
            Ok((0, 0)) => {}
            Ok((counted, ended)) => {
                tracing::info!("sent the counts of {counted} polls; {ended} polls ended")
            }
            Err(e) => tracing::warn!("polls: {e}"),
        }
    }
}

/// A running server: where it listens and how to stop it.
pub struct Running {
    pub addr: std::net::SocketAddr,
    pub handle: ServerHandle,
    pub server: actix_web::dev::Server,
    /// The delivery and link preview workers and the periodic tasks (unanswered follows,
    /// unkept files, ended polls); stopping a server
    /// in-process (tests) aborts them.
    pub worker: tokio::task::AbortHandle,
    /// The streaming connections, closed before a graceful stop.
    pub streams: aw::Data<api::streaming::Hub>,
}

/// Start serving `state` on `listener` (or on the configured address). Graceful shutdown on
/// SIGINT/SIGTERM: in-flight requests get up to 30 seconds.
pub async fn start(state: AppState, listener: Option<TcpListener>) -> Result<Running, Error> {
    let federation = federation_config(state.clone()).await?;
    let bind = state.config.bind;
    let limiter = aw::Data::new(api::rate_limit::Limiter::new(state.config.api_rate_limit));
    let proxies = aw::Data::new(crate::client_address::TrustedProxies(
        state.config.trusted_proxies.clone(),
    ));
    let idempotency = aw::Data::new(api::statuses::IdempotencyKeys::default());
    let media = &state.config.media;
    let upload_limit = aw::Data::new(api::params::UploadLimit(
        media.max_image_bytes.max(media.max_file_bytes),
    ));
    let limits = &state.config.streaming;
    let hub = aw::Data::new(api::streaming::Hub::new(limits.clone()));
    let streams = hub.clone();
    let scrape = aw::Data::new(crate::metrics::Scrape {
        metrics: state.metrics.clone(),
        db: state.db.clone(),
        streams: hub.clone(),
        token: state.config.metrics.token.clone(),
    });
    let metrics_on_public_port = scrape.token.is_some();
    let factory = move || {
        App::new()
            .app_data(scrape.clone())
            .app_data(limiter.clone())
            .app_data(proxies.clone())
            .app_data(idempotency.clone())
            .app_data(upload_limit.clone())
            .app_data(streams.clone())
            .wrap(actix_web::middleware::from_fn(api::rate_limit::limit))
            .wrap(FederationMiddleware::new(federation.clone()))
            .wrap(cors())
            .wrap(Compress::default())
            .wrap(NormalizePath::new(TrailingSlash::Trim))
            .wrap(actix_web::middleware::from_fn(
                crate::federation::signatures::keep_sent_target,
            ))
            .wrap(tracing_actix_web::TracingLogger::<
                crate::request_log::RequestLog,
            >::new())
            .wrap(actix_web::middleware::from_fn(crate::metrics::time_request))
            .configure(|cfg| {
                if metrics_on_public_port {
                    cfg.route("/metrics", aw::get().to(crate::metrics::serve));
                }
            })
            .configure(routes)
    };
    // Each worker's blocking pool runs database work and uploads: more threads than
    // connections and upload permits would only wait, each holding its stack and heap.
    let blocking = state.config.db_pool_size as usize + state.config.media.workers + 2;
    // Small writes go out at once: a streamed event, or the last block of an answer, would
    // otherwise wait for the client's acknowledgement of the one before (up to 40 ms).
    let server = HttpServer::new(factory)
        .tcp_nodelay(true)
        .shutdown_timeout(30)
        .worker_max_blocking_threads(blocking)
        .disable_signals();
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
    // Streams hear every event from the first request on: the node listens to the others
    // and its dispatcher is subscribed before it serves.
    state.db.listen_for_events();
    let dispatcher = api::streaming::dispatch::run(hub.clone(), state.clone());
    let server = server.run();
    if let Some(bind) = state.config.metrics.bind {
        tokio::spawn(metrics_server(bind, &state, hub.clone())?);
    }
    tokio::spawn(stop_on_signal(server.handle(), hub.clone()));
    let deliveries = delivery::run_worker(
        state.config.clone(),
        state.db.clone(),
        state.metrics.clone(),
        state.http.clone(),
    );
    let cards =
        service::cards::run_worker(state.config.clone(), state.db.clone(), state.http.clone());
    let worker = tokio::spawn(async move {
        tokio::join!(
            deliveries,
            cards,
            dispatcher,
            hourly(state.clone()),
            every_minute(state)
        )
    })
    .abort_handle();
    Ok(Running {
        addr,
        handle: server.handle(),
        server,
        worker,
        streams: hub,
    })
}

/// `/metrics` alone on its own address (`metrics_bind`), for a Prometheus inside the network;
/// it stops with the process.
fn metrics_server(
    bind: std::net::SocketAddr,
    state: &AppState,
    streams: aw::Data<api::streaming::Hub>,
) -> Result<actix_web::dev::Server, Error> {
    let scrape = aw::Data::new(crate::metrics::Scrape {
        metrics: state.metrics.clone(),
        db: state.db.clone(),
        streams,
        token: None,
    });
    let server = HttpServer::new(move || {
        App::new()
            .app_data(scrape.clone())
            .route("/metrics", aw::get().to(crate::metrics::serve))
    })
    .workers(1)
    .disable_signals()
    .bind(bind)
    .map_err(|e| {
        Error::internal(format!(
            "cannot listen for metrics on {bind}: {e}. Stop the other program on that port \
             or set GUILD_METRICS_BIND (metrics_bind) to another address."
        ))
    })?;
    Ok(server.run())
}

/// On SIGINT or SIGTERM, refuse new streams and close the open ones (they would otherwise
/// hold the shutdown for its whole grace period), then stop, letting in-flight requests
/// finish. A second signal stops at once.
async fn stop_on_signal(server: ServerHandle, streams: aw::Data<api::streaming::Hub>) {
    signalled().await;
    tracing::info!("stopping: closing streams and finishing requests");
    streams.close_all();
    tokio::select! {
        _ = server.stop(true) => {}
        _ = signalled() => {
            tracing::warn!("stopping now, without waiting for requests to finish");
            server.stop(false).await;
        }
    }
}

/// SIGINT or SIGTERM.
async fn signalled() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    let terminate = async {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                terminate.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = interrupt => {}
        _ = terminate => {}
    }
}
