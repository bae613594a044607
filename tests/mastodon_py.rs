//! Drives Guild with a published client library: the Python suite in `tests/python` uses
//! Mastodon.py against two running instances. Its packages are installed from PyPI into
//! `target/python` on first run (and again when `requirements.txt` changes).

mod common;

use common::{Backend, TestServer};
use std::{path::PathBuf, process::Command};

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A virtualenv with the suite's requirements; returns its python.
fn python() -> PathBuf {
    let venv = manifest_dir().join("target/python");
    let requirements = manifest_dir().join("tests/python/requirements.txt");
    let wanted = std::fs::read_to_string(&requirements).expect("requirements.txt");
    let marker = venv.join("installed-requirements.txt");
    let python = venv.join("bin/python");
    if std::fs::read_to_string(&marker).ok().as_deref() != Some(wanted.as_str()) {
        let created = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .status();
        assert!(
            created.is_ok_and(|s| s.success()),
            "python3 -m venv failed: Python 3 with venv is needed"
        );
        let installed = Command::new(&python)
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "-r",
            ])
            .arg(&requirements)
            .status()
            .expect("run pip");
        assert!(
            installed.success(),
            "pip could not install tests/python/requirements.txt"
        );
        std::fs::write(&marker, wanted).expect("write marker");
    }
    python
}

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
