//! Prometheus metrics: what an operator graphs and alerts on. Counters and timings are this
//! node's since it started; the delivery queue is read from the database that every node
//! shares, when Prometheus scrapes.
//!
//! Labels take values from fixed sets (route patterns, activity types Guild knows, outcomes),
//! never from what a client or a peer sends, so a hostile caller cannot grow the series.

use crate::config::Secret;
use crate::db::Db;
use crate::error::Error;
use actix_web::{
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse},
    http::header,
    middleware::Next,
    web, HttpRequest, HttpResponse,
};
use prometheus_client::encoding::{text, EncodeLabelSet};
use prometheus_client::metrics::{
    counter::Counter,
    family::Family,
    gauge::Gauge,
    histogram::{exponential_buckets, Histogram},
};
use prometheus_client::registry::{Registry, Unit};
use std::sync::Arc;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct InboundLabels {
    kind: &'static str,
    result: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ResultLabel {
    result: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabel {
    state: &'static str,
}

type Timings = Family<RequestLabels, Histogram, fn() -> Histogram>;

/// This node's metrics. Recording is a few atomic operations; rendering happens per scrape.
pub struct Metrics {
    registry: Registry,
    requests: Timings,
    inbound: Family<InboundLabels, Counter>,
    deliveries: Family<ResultLabel, Counter>,
    queue: Family<StateLabel, Gauge>,
    pool: Family<StateLabel, Gauge>,
    pool_max: Gauge,
    streams: Gauge,
    resident: Gauge,
}

/// 1 ms to about 16 s: a page answers in milliseconds, a slow upload in seconds.
fn request_timing() -> Histogram {
    Histogram::new(exponential_buckets(0.001, 2.0, 15))
}

impl Default for Metrics {
    fn default() -> Metrics {
        let mut registry = Registry::with_prefix("guild");
        let requests = Timings::new_with_constructor(request_timing as fn() -> Histogram);
        registry.register_with_unit(
            "http_request_duration",
            "HTTP requests by method, route pattern and status, and how long they took",
            Unit::Seconds,
            requests.clone(),
        );
        let inbound = Family::default();
        registry.register(
            "inbound_activities",
            "Activities posted to the inboxes, by type (other for types Guild ignores) and result",
            inbound.clone(),
        );
        let deliveries = Family::default();
        registry.register(
            "delivery_attempts",
            "Delivery attempts to other servers: delivered, retry (will be tried again) or \
             failed (given up)",
            deliveries.clone(),
        );
        let queue = Family::default();
        registry.register(
            "delivery_queue",
            "Deliveries waiting, on every node: queued (not tried yet) or retrying",
            queue.clone(),
        );
        let pool = Family::default();
        registry.register(
            "db_connections",
            "This node's database connections: busy or idle",
            pool.clone(),
        );
        let pool_max = Gauge::default();
        registry.register(
            "db_connections_max",
            "The most database connections this node opens (db_pool_size)",
            pool_max.clone(),
        );
        let streams = Gauge::default();
        registry.register(
            "streaming_connections",
            "Streaming connections (WebSocket and server-sent events) open on this node",
            streams.clone(),
        );
        let resident = Gauge::default();
        registry.register_with_unit(
            "resident_memory",
            "Resident memory of this process",
            Unit::Bytes,
            resident.clone(),
        );
        Metrics {
            registry,
            requests,
            inbound,
            deliveries,
            queue,
            pool,
            pool_max,
            streams,
            resident,
        }
    }
}

impl Metrics {
    pub fn request(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let labels = RequestLabels {
            method: method.to_string(),
            route: route.to_string(),
            status,
        };
        self.requests.get_or_create(&labels).observe(seconds);
    }

    /// An activity posted to an inbox: its type and what became of it.
    pub fn inbound(&self, kind: &'static str, result: &'static str) {
        let labels = InboundLabels { kind, result };
        self.inbound.get_or_create(&labels).inc();
    }

    /// One delivery attempt: `delivered`, `retry` or `failed`.
    pub fn delivery(&self, result: &'static str) {
        self.deliveries.get_or_create(&ResultLabel { result }).inc();
    }

    /// Everything, in the text format, with the figures read now.
    pub async fn render(&self, db: &Db, streams: usize) -> Result<String, Error> {
        let (queued, retrying) = db.run(crate::store::deliveries::waiting).await?;
        self.queue
            .get_or_create(&StateLabel { state: "queued" })
            .set(queued);
        self.queue
            .get_or_create(&StateLabel { state: "retrying" })
            .set(retrying);
        let (open, idle, max) = db.pool_use();
        let busy = i64::from(open.saturating_sub(idle));
        self.pool
            .get_or_create(&StateLabel { state: "busy" })
            .set(busy);
        self.pool
            .get_or_create(&StateLabel { state: "idle" })
            .set(i64::from(idle));
        self.pool_max.set(i64::from(max));
        self.streams.set(streams as i64);
        self.resident.set(resident_bytes().unwrap_or(0));
        let mut out = String::new();
        text::encode(&mut out, &self.registry)
            .map_err(|e| Error::caused_by("encoding metrics", e))?;
        Ok(out)
    }
}

/// Resident memory from `/proc/self/status` (Linux); `None` elsewhere.
fn resident_bytes() -> Option<i64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: i64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// Middleware: every request's method, route pattern, status and time. Requests that match
/// no route share one `unmatched` series.
pub async fn time_request(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = std::time::Instant::now();
    let metrics = req
        .app_data::<web::Data<Scrape>>()
        .map(|s| s.metrics.clone());
    let method = req.method().clone();
    let outcome = next.call(req).await;
    if let Some(metrics) = metrics {
        let (route, status) = match &outcome {
            Ok(res) => (res.request().match_pattern(), res.status()),
            Err(e) => (None, e.as_response_error().status_code()),
        };
        let route = route.unwrap_or_else(|| "unmatched".into());
        let seconds = started.elapsed().as_secs_f64();
        metrics.request(method.as_str(), &route, status.as_u16(), seconds);
    }
    outcome
}

/// What `GET /metrics` needs: the figures, the database for the queue, and the token that
/// guards it on the public port (none on the separate metrics address).
pub struct Scrape {
    pub metrics: Arc<Metrics>,
    pub db: Db,
    pub streams: web::Data<crate::api::streaming::Hub>,
    pub token: Option<Secret>,
}

/// `GET /metrics`.
pub async fn serve(scrape: web::Data<Scrape>, req: HttpRequest) -> Result<HttpResponse, Error> {
    if let Some(Secret(token)) = &scrape.token {
        let given = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or_default();
        // Compared as hashes, so the time taken says nothing about the token.
        if crate::crypto::hash_token(given) != crate::crypto::hash_token(token) {
            return Err(Error::Unauthorized(
                "metrics need `Authorization: Bearer` with the metrics_token setting".into(),
            ));
        }
    }
    let body = scrape
        .metrics
        .render(&scrape.db, scrape.streams.count())
        .await?;
    Ok(HttpResponse::Ok()
        .content_type("application/openmetrics-text; version=1.0.0; charset=utf-8")
        .body(body))
}
