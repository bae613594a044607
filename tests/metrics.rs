//! `/metrics` as Prometheus reads it: guarded by a token on the public port, open on an
//! address of its own, and counting requests, inbound activities and deliveries between two
//! real instances.

mod common;

use common::{backends, eventually, Backend, TestServer};
use guild::federation::resolve;

const TOKEN: &str = "metrics-token-0123456789";

/// The value of the series written exactly as `series` (name and labels), if present.
fn value(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .and_then(|v| v.split(' ').next()?.parse().ok())
}

async fn scrape(server: &TestServer, url: &str, token: Option<&str>) -> (u16, String, String) {
    let mut request = server.http.get(url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let kind = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, kind, response.text().await.unwrap())
}

#[actix_web::test]
async fn metrics_count_requests_activities_and_deliveries() {
    for backend in backends() {
        eprintln!("metrics on {}", backend.name());
        counts(&backend).await;
    }
}

async fn counts(backend: &Backend) {
    let alpha = TestServer::start_with(backend, &[("GUILD_METRICS_TOKEN", TOKEN)]).await;
    let metrics_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let metrics_bind = format!("127.0.0.1:{metrics_port}");
    let beta = TestServer::start_with(backend, &[("GUILD_METRICS_BIND", &metrics_bind)]).await;
    alpha.create_user("alice", false).await;
    beta.create_user("bob", false).await;

    // Bob follows Alice: a Follow reaches alpha, an Accept comes back.
    let ctx = beta.ctx().await;
    let alice = resolve::account(&ctx, &format!("alice@{}", alpha.domain))
        .await
        .unwrap();
    let bob = resolve::account(&ctx, "bob").await.unwrap();
    beta.with_db(move |conn, config| {
        guild::service::follows::follow(conn, config, &bob, &alice).map(|_| ())
    })
    .await;
    for _ in 0..3 {
        assert_eq!(alpha.get("/api/v1/instance", "*/*").await.0, 200);
    }
    // An unsigned activity of a made-up type: refused, and counted without its type.
    let forged = serde_json::json!({"id": "https://evil.example/1", "type": "Zap"});
    let status = common::post(&alpha, "/inbox", &forged.to_string(), None, "").await;
    assert_eq!(status, 401);

    let url = alpha.url("/metrics");
    assert_eq!(scrape(&alpha, &url, None).await.0, 401);
    assert_eq!(
        scrape(&alpha, &url, Some("not-the-token-at-all")).await.0,
        401
    );
    let accepted = "guild_delivery_attempts_total{result=\"delivered\"}";
    eventually("alpha delivered the Accept", || async {
        value(&scrape(&alpha, &url, Some(TOKEN)).await.2, accepted).is_some()
    })
    .await;
    let (status, kind, text) = scrape(&alpha, &url, Some(TOKEN)).await;
    assert_eq!(status, 200, "{text}");
    assert!(kind.starts_with("application/openmetrics-text"), "{kind}");
    assert!(text.ends_with("# EOF\n"), "{text}");
    let instance = "guild_http_request_duration_seconds_count{method=\"GET\",route=\"/api/v1/instance\",status=\"200\"}";
    assert_eq!(value(&text, instance), Some(3.0), "{text}");
    let follow = "guild_inbound_activities_total{kind=\"Follow\",result=\"processed\"}";
    assert_eq!(value(&text, follow), Some(1.0), "{text}");
    let forged = "guild_inbound_activities_total{kind=\"other\",result=\"unauthorized\"}";
    assert_eq!(value(&text, forged), Some(1.0), "{text}");
    assert!(!text.contains("Zap"), "{text}");
    let waiting = "guild_delivery_queue{state=\"queued\"}";
    assert!(value(&text, waiting).is_some(), "{text}");
    let resident = value(&text, "guild_resident_memory_bytes").unwrap();
    assert!(resident > 1e6, "{text}");
    assert_eq!(
        value(&text, "guild_streaming_connections"),
        Some(0.0),
        "{text}"
    );
    let pool = value(&text, "guild_db_connections_max").unwrap();
    assert_eq!(pool, 4.0, "{text}");

    // Beta: nothing on the public port, everything on its own address, with no token.
    assert_eq!(beta.get("/metrics", "*/*").await.0, 404);
    let url = format!("http://{metrics_bind}/metrics");
    let accept = "guild_inbound_activities_total{kind=\"Accept\",result=\"processed\"}";
    eventually("beta counted the Accept", || async {
        value(&scrape(&beta, &url, None).await.2, accept) == Some(1.0)
    })
    .await;
    let text = scrape(&beta, &url, None).await.2;
    let follow_sent = "guild_delivery_attempts_total{result=\"delivered\"}";
    assert_eq!(value(&text, follow_sent), Some(1.0), "{text}");
    alpha.stop().await;
    beta.stop().await;
}
