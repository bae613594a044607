//! Drives Guild with a second published client library: masto.js (from npm), through the
//! suite in `tests/js` run by Node's test runner against two running instances. The
//! packages are installed from the lock file into `target/js` on first run (and again when
//! the lock file changes).

mod common;

use common::{Backend, TestServer};
use std::{path::PathBuf, process::Command};

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `target/js` with the suite and its locked packages; returns the directory.
fn suite() -> PathBuf {
    let source = manifest_dir().join("tests/js");
    let dir = manifest_dir().join("target/js");
    std::fs::create_dir_all(&dir).expect("target/js");
    let lock =
        std::fs::read_to_string(source.join("package-lock.json")).expect("package-lock.json");
    let marker = dir.join("installed-lock.json");
    for file in ["package.json", "package-lock.json", "session.test.mjs"] {
        std::fs::copy(source.join(file), dir.join(file)).expect("copy the suite");
    }
    if std::fs::read_to_string(&marker).ok().as_deref() != Some(lock.as_str()) {
        let installed = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
            .current_dir(&dir)
            .status();
        assert!(
            installed.is_ok_and(|s| s.success()),
            "npm ci failed in target/js: Node.js 20 with npm is needed"
        );
        std::fs::write(&marker, lock).expect("write marker");
    }
    dir
}

#[actix_web::test]
async fn masto_js_session() {
    let dir = suite();
    let password_grant = [("GUILD_OAUTH_PASSWORD_GRANT", "true")];
    let alpha = TestServer::start_with(&Backend::Sqlite, &password_grant).await;
    let beta = TestServer::start_with(&Backend::Sqlite, &password_grant).await;
    alpha.create_user("dana", false).await;
    alpha.create_user("erin", false).await;
    beta.create_user("bob", false).await;
    beta.create_community("practice", "bob").await;

    let (alpha_url, beta_url) = (alpha.base.clone(), beta.base.clone());
    let output = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .args(["--test", "--test-concurrency=1", "session.test.mjs"])
            .current_dir(dir)
            .env("GUILD_ALPHA", alpha_url)
            .env("GUILD_BETA", beta_url)
            .output()
            .expect("run node")
    })
    .await
    .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    eprintln!("{text}");
    assert!(output.status.success(), "the masto.js suite failed");
    alpha.stop().await;
    beta.stop().await;
}
