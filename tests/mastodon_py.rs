//! Drives Guild with a published client library: the Python suite in `tests/python` uses
//! Mastodon.py against two running instances (its packages: `common::python`).

mod common;

use common::{
    python::{manifest_dir, python},
    Backend, TestServer,
};
use std::process::Command;

#[actix_web::test]
async fn mastodon_py_session() {
    let python = python();
    // The client library talks to alpha; beta is the remote instance it follows into.
    let backend = match std::env::var("GUILD_TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => Backend::Postgres(url),
        _ => Backend::Sqlite,
    };
    let alpha = TestServer::start_with(&backend, &[("GUILD_OAUTH_PASSWORD_GRANT", "true")]).await;
    let beta =
        TestServer::start_with(&Backend::Sqlite, &[("GUILD_OAUTH_PASSWORD_GRANT", "true")]).await;
    alpha.create_user("alice", false).await;
    alpha.create_user("carol", false).await;
    alpha.create_user("ada", true).await;
    beta.create_user("bob", false).await;
    beta.create_community("practice", "bob").await;

    let (alpha_url, beta_url) = (alpha.base.clone(), beta.base.clone());
    let output = tokio::task::spawn_blocking(move || {
        Command::new(python)
            .args([
                "-m",
                "pytest",
                "-q",
                "-p",
                "no:cacheprovider",
                "tests/python",
            ])
            .current_dir(manifest_dir())
            .env("GUILD_ALPHA", alpha_url)
            .env("GUILD_BETA", beta_url)
            .output()
            .expect("run pytest")
    })
    .await
    .unwrap();
    common::assert_suite_passed(&output, "Mastodon.py");
    alpha.stop().await;
    beta.stop().await;
}
