//! Guild in a real browser: Chromium (Debian's `chromium`), driven by Playwright from npm
//! through `tests/js/browser.test.mjs`, against a running instance on each backend.

mod common;

use common::{api::Client, backends, node, Backend, TestServer};
use serde_json::json;

const CHROMIUM: &str = "/usr/bin/chromium";

#[actix_web::test]
async fn chromium_reads_writes_and_moderates() {
    assert!(
        std::path::Path::new(CHROMIUM).exists(),
        "the browser tests need Chromium at {CHROMIUM}: install Debian's `chromium` package \
         (.ci/run does)"
    );
    for backend in backends() {
        eprintln!("chromium_reads_writes_and_moderates on {}", backend.name());
        browse_on(&backend).await;
    }
}

async fn browse_on(backend: &Backend) {
    let settings = [
        ("GUILD_REGISTRATIONS", "open"),
        ("GUILD_OAUTH_PASSWORD_GRANT", "true"),
    ];
    let server = TestServer::start_with(backend, &settings).await;
    server.create_user("ann", false).await;
    server.create_community("platform", "ann").await;
    let ann = Client::password(&server, "ann").await;
    ann.post(
        "/api/v1/guild/communities",
        json!({"name": "inner", "visibility": "members", "membership_policy": "approval"}),
    )
    .await;
    let secret = ann
        .post(
            "/api/v1/statuses",
            json!({"status": "@inner Reorg plans, draft", "title": "Reorg plans"}),
        )
        .await;
    let mut env = vec![
        ("GUILD_URL", server.base.clone()),
        (
            "GUILD_SECRET_THREAD",
            format!("/statuses/{}", secret["id"].as_str().unwrap()),
        ),
        ("CHROMIUM", CHROMIUM.to_string()),
    ];
    if let Ok(dir) = std::env::var("GUILD_SCREENSHOTS") {
        env.push(("GUILD_SCREENSHOTS", dir));
    }
    node::run("browser.test.mjs", env).await;
    server.stop().await;
}
