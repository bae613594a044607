//! Drives Guild with a second published client library: masto.js (from npm), through
//! `tests/js/session.test.mjs` against two running instances.

mod common;

use common::{node, Backend, TestServer};

#[actix_web::test]
async fn masto_js_session() {
    let password_grant = [("GUILD_OAUTH_PASSWORD_GRANT", "true")];
    let alpha = TestServer::start_with(&Backend::Sqlite, &password_grant).await;
    let beta = TestServer::start_with(&Backend::Sqlite, &password_grant).await;
    alpha.create_user("dana", false).await;
    alpha.create_user("erin", false).await;
    beta.create_user("bob", false).await;
    beta.create_community("practice", "bob").await;
    let env = vec![
        ("GUILD_ALPHA", alpha.base.clone()),
        ("GUILD_BETA", beta.base.clone()),
    ];
    node::run("session.test.mjs", env).await;
    alpha.stop().await;
    beta.stop().await;
}
