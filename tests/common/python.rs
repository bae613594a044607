//! Python for the tests: a virtualenv in `target/python` with `tests/python/requirements.txt`
//! installed from PyPI on first use (and again when the file changes), and moto's S3 server
//! from it.

use std::{
    path::PathBuf,
    process::{Child, Command, Stdio},
    sync::Mutex,
};

pub fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The virtualenv's python, with the requirements installed.
pub fn python() -> PathBuf {
    // Tests of one binary run in parallel; one installs while the others wait.
    static INSTALLING: Mutex<()> = Mutex::new(());
    let _installing = INSTALLING.lock().unwrap_or_else(|e| e.into_inner());
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

/// moto's S3-compatible server on a free local port, with one empty bucket; stopped when
/// dropped.
pub struct S3Server {
    pub endpoint: String,
    pub bucket: &'static str,
    child: Child,
}

impl S3Server {
    pub async fn start() -> S3Server {
        let python = tokio::task::spawn_blocking(python).await.unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let child = Command::new(python)
            .args(["-m", "moto.server", "-H", "127.0.0.1", "-p"])
            .arg(port.to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start moto's server");
        let server = S3Server {
            endpoint: format!("http://127.0.0.1:{port}"),
            bucket: "guild-media",
            child,
        };
        // moto takes requests without checking signatures, so the bucket is made with a plain
        // PUT; Guild's own requests are signed all the same.
        let bucket = format!("{}/{}", server.endpoint, server.bucket);
        let http = reqwest::Client::new();
        for _ in 0..100 {
            if let Ok(made) = http.put(&bucket).send().await {
                assert!(made.status().is_success(), "moto made no bucket: {made:?}");
                return server;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("moto's server did not start on port {port}");
    }

    /// The keys in the bucket, read from the server itself.
    pub async fn keys(&self) -> Vec<String> {
        let url = format!("{}/{}?list-type=2", self.endpoint, self.bucket);
        let listing = reqwest::get(url).await.unwrap().text().await.unwrap();
        listing
            .split("<Key>")
            .skip(1)
            .filter_map(|part| part.split("</Key>").next())
            .map(str::to_string)
            .collect()
    }

    /// The settings that point Guild at this server.
    pub fn settings(&self) -> Vec<(&'static str, String)> {
        vec![
            ("GUILD_MEDIA_STORAGE", "s3".into()),
            ("GUILD_S3_ENDPOINT", self.endpoint.clone()),
            ("GUILD_S3_BUCKET", self.bucket.into()),
            ("GUILD_S3_ACCESS_KEY_ID", "guild-test".into()),
            ("GUILD_S3_SECRET_ACCESS_KEY", "guild-test-secret".into()),
        ]
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
