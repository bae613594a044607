//! The Node.js suites in `tests/js`: their locked npm packages are installed into
//! `target/js` on first run (and again when the lock file changes), and a suite file is run
//! there with Node's test runner. The machine's Node.js and npm only install; the suites run
//! on the Node.js that the lock file pins (the npm package `node`), because Fedify's RFC 9421
//! signing needs a newer Node.js than many machines have.

use std::{path::PathBuf, process::Command};

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `target/js` with the suites and their locked packages.
fn prepared() -> PathBuf {
    let source = manifest_dir().join("tests/js");
    let dir = manifest_dir().join("target/js");
    std::fs::create_dir_all(&dir).expect("target/js");
    for entry in std::fs::read_dir(&source).expect("tests/js") {
        let path = entry.expect("tests/js entry").path();
        if path.is_file() {
            std::fs::copy(&path, dir.join(path.file_name().unwrap())).expect("copy the suite");
        }
    }
    let lock = std::fs::read_to_string(source.join("package-lock.json")).expect("lock file");
    let marker = dir.join("installed-lock.json");
    if std::fs::read_to_string(&marker).ok().as_deref() != Some(lock.as_str()) {
        let installed = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
            .current_dir(&dir)
            .status();
        assert!(
            installed.is_ok_and(|s| s.success()),
            "npm ci failed in target/js: Node.js with npm is needed to install the suites' packages"
        );
        std::fs::write(&marker, lock).expect("write marker");
    }
    dir
}

/// Run the suite `file` with `env`, printing its report; panics if it fails.
pub async fn run(file: &'static str, env: Vec<(&'static str, String)>) {
    let output = tokio::task::spawn_blocking(move || {
        let dir = prepared();
        Command::new(dir.join("node_modules/.bin/node"))
            .args(["--test", "--test-concurrency=1", file])
            .current_dir(dir)
            .envs(env)
            .output()
            .expect("run node")
    })
    .await
    .unwrap();
    super::assert_suite_passed(&output, file);
}
