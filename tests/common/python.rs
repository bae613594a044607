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

/// moto's S3-compatible server on a free local port, with one empty bucket and one key that
/// may use it; stopped when dropped. It checks every request's signature, as S3 does.
pub struct S3Server {
    pub endpoint: String,
    pub bucket: &'static str,
    access_key_id: String,
    secret_access_key: String,
    child: Child,
}

/// Requests moto takes before it checks signatures: the four that set it up.
const SETUP_REQUESTS: &str = "4";

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
            .env("INITIAL_NO_AUTH_ACTION_COUNT", SETUP_REQUESTS)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start moto's server");
        let mut server = S3Server {
            endpoint: format!("http://127.0.0.1:{port}"),
            bucket: "guild-media",
            access_key_id: String::new(),
            secret_access_key: String::new(),
            child,
        };
        let http = reqwest::Client::new();
        let bucket = format!("{}/{}", server.endpoint, server.bucket);
        let mut made = None;
        for _ in 0..100 {
            if let Ok(response) = http.put(&bucket).send().await {
                made = Some(response);
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        let made = made.unwrap_or_else(|| panic!("moto's server did not start on port {port}"));
        assert!(made.status().is_success(), "moto made no bucket: {made:?}");
        // A user whose key may do anything in S3. The requests name IAM in an unchecked
        // Authorization header only so that moto routes them to IAM.
        let iam = |form: Vec<(&'static str, &'static str)>| {
            http.post(&server.endpoint)
                .header(
                    "Authorization",
                    "AWS4-HMAC-SHA256 Credential=SETUP/20260101/us-east-1/iam/aws4_request, \
                     SignedHeaders=host, Signature=none",
                )
                .form(
                    &[("Version", "2010-05-08"), ("UserName", "guild")]
                        .iter()
                        .copied()
                        .chain(form)
                        .collect::<Vec<_>>(),
                )
                .send()
        };
        iam(vec![("Action", "CreateUser")]).await.unwrap();
        let key = iam(vec![("Action", "CreateAccessKey")])
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#;
        let allowed = iam(vec![
            ("Action", "PutUserPolicy"),
            ("PolicyName", "media"),
            ("PolicyDocument", policy),
        ])
        .await
        .unwrap();
        assert!(allowed.status().is_success(), "{allowed:?}");
        server.access_key_id = between(&key, "AccessKeyId");
        server.secret_access_key = between(&key, "SecretAccessKey");
        server
    }

    /// The keys in the bucket, from moto's own view of its state.
    pub async fn keys(&self) -> Vec<String> {
        let url = format!("{}/moto-api/data.json", self.endpoint);
        let state: serde_json::Value = reqwest::get(url).await.unwrap().json().await.unwrap();
        let objects = state["s3"]["FakeKey"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        objects
            .iter()
            .filter(|o| o["bucket_name"] == self.bucket && o["disposed"] != true)
            .filter_map(|o| o["name"].as_str().map(str::to_string))
            .collect()
    }

    /// The settings that point Guild at this server, with `secret` as the key's secret.
    pub fn settings_with_secret(&self, secret: &str) -> Vec<(&'static str, String)> {
        vec![
            ("GUILD_MEDIA_STORAGE", "s3".into()),
            ("GUILD_S3_ENDPOINT", self.endpoint.clone()),
            ("GUILD_S3_BUCKET", self.bucket.into()),
            ("GUILD_S3_ACCESS_KEY_ID", self.access_key_id.clone()),
            ("GUILD_S3_SECRET_ACCESS_KEY", secret.into()),
        ]
    }

    pub fn settings(&self) -> Vec<(&'static str, String)> {
        self.settings_with_secret(&self.secret_access_key)
    }
}

/// The text of the first `<tag>` in an XML answer.
fn between(xml: &str, tag: &str) -> String {
    let start = xml.find(&format!("<{tag}>")).expect(tag) + tag.len() + 2;
    let end = xml[start..].find('<').expect(tag) + start;
    xml[start..end].to_string()
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
