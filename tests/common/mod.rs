//! Test harness: the real server on a free port, over a fresh SQLite file and, when
//! `GUILD_TEST_DATABASE_URL` names a PostgreSQL server, over a fresh PostgreSQL database.
#![allow(dead_code)] // each test binary uses a different part of the harness

pub mod api;
pub mod forms;
pub mod node;
pub mod peer;
pub mod python;
pub mod spec;
pub mod streams;

use diesel::{pg::PgConnection, Connection, RunQueryDsl};
use guild::{config::Config, server, state::AppState};
use std::sync::atomic::{AtomicU32, Ordering};

/// A database backend to run a scenario on.
pub enum Backend {
    Sqlite,
    /// Server URL of a PostgreSQL cluster on which fresh databases may be created.
    Postgres(String),
}

impl Backend {
    pub fn name(&self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres(_) => "postgres",
        }
    }
}

/// SQLite always; PostgreSQL when configured. Skipping PostgreSQL is announced loudly, and
/// is an error when `GUILD_TEST_REQUIRE_POSTGRES` is set (CI sets it).
pub fn backends() -> Vec<Backend> {
    let mut list = vec![Backend::Sqlite];
    match std::env::var("GUILD_TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => list.push(Backend::Postgres(url)),
        _ => {
            if std::env::var("GUILD_TEST_REQUIRE_POSTGRES").is_ok() {
                panic!("GUILD_TEST_REQUIRE_POSTGRES is set but GUILD_TEST_DATABASE_URL is not");
            }
            eprintln!(
                "\n*** PostgreSQL SKIPPED: set GUILD_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
                 to run these tests on PostgreSQL too ***\n"
            );
        }
    }
    list
}

/// A PostgreSQL database made for one test and dropped after it.
pub struct PgDatabase {
    admin_url: String,
    name: String,
    pub url: String,
}

impl PgDatabase {
    pub fn create(admin_url: &str) -> PgDatabase {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "guild_test_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            rand_suffix()
        );
        let mut conn = PgConnection::establish(admin_url)
            .unwrap_or_else(|e| panic!("cannot reach test PostgreSQL at {admin_url}: {e}"));
        diesel::sql_query(format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .expect("create test database");
        let mut url = url::Url::parse(admin_url).expect("GUILD_TEST_DATABASE_URL is a URL");
        url.set_path(&name);
        PgDatabase {
            admin_url: admin_url.to_string(),
            name,
            url: url.to_string(),
        }
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        if let Ok(mut conn) = PgConnection::establish(&self.admin_url) {
            let _ = diesel::sql_query(format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
            .execute(&mut conn);
        }
    }
}

fn rand_suffix() -> u32 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    nanos % 100_000
}

/// A Guild instance serving on `localhost:PORT` with its own database.
pub struct TestServer {
    pub base: String,
    pub domain: String,
    pub state: AppState,
    pub http: reqwest::Client,
    port: u16,
    handle: actix_web::dev::ServerHandle,
    worker: tokio::task::AbortHandle,
    streams: actix_web::web::Data<guild::api::streaming::Hub>,
    pub dir: tempfile::TempDir,
    _pg: Option<PgDatabase>,
}

/// Serve `config` on `listener`, returning the state and what stops it.
async fn launch(
    config: Config,
    listener: std::net::TcpListener,
) -> (AppState, guild::server::Running) {
    let state = server::prepare(config).await.expect("prepare");
    let running = server::start(state.clone(), Some(listener))
        .await
        .expect("start server");
    (state, running)
}

impl TestServer {
    pub async fn start(backend: &Backend) -> TestServer {
        TestServer::start_with(backend, &[]).await
    }

    /// Start with extra `GUILD_*` settings.
    pub async fn start_with(backend: &Backend, settings: &[(&str, &str)]) -> TestServer {
        init_logging();
        let dir = tempfile::tempdir().expect("temp dir");
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("free port");
        let port = listener.local_addr().expect("address").port();
        let pg = match backend {
            Backend::Sqlite => None,
            Backend::Postgres(admin) => Some(PgDatabase::create(admin)),
        };
        let database_url = match &pg {
            Some(pg) => pg.url.clone(),
            None => format!("sqlite://{}", dir.path().join("guild.sqlite").display()),
        };
        let mut env = vec![
            ("GUILD_DOMAIN".to_string(), format!("localhost:{port}")),
            (
                "GUILD_DATA_DIR".to_string(),
                dir.path().display().to_string(),
            ),
            ("GUILD_DATABASE_URL".to_string(), database_url),
            ("GUILD_INSECURE_FEDERATION".to_string(), "true".to_string()),
            ("GUILD_DB_POOL_SIZE".to_string(), "4".to_string()),
            (
                "GUILD_DELIVERY_FIRST_RETRY_SECONDS".to_string(),
                "1".to_string(),
            ),
        ];
        env.extend(settings.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let config = Config::from_sources(None, &env).expect("test configuration");
        let (state, running) = launch(config, listener).await;
        let (handle, worker, streams) = (running.handle, running.worker, running.streams);
        actix_web::rt::spawn(running.server);
        TestServer {
            base: format!("http://localhost:{port}"),
            domain: format!("localhost:{port}"),
            state,
            http: reqwest::Client::new(),
            port,
            handle,
            worker,
            streams,
            dir,
            _pg: pg,
        }
    }

    /// Stop serving and delivering, keeping the database: the instance is down.
    pub async fn pause(&self) {
        self.worker.abort();
        self.handle.stop(false).await;
    }

    /// Serve again on the same port and database after [`TestServer::pause`].
    pub async fn resume(&mut self) {
        let config = (*self.state.config).clone();
        self.resume_with(config).await;
    }

    /// Serve again on the same port, from another database (one the old was copied to).
    pub async fn resume_on(&mut self, database_url: &str) {
        let mut config = (*self.state.config).clone();
        config.database_url = database_url.to_string();
        self.resume_with(config).await;
    }

    async fn resume_with(&mut self, config: Config) {
        let listener =
            std::net::TcpListener::bind(("127.0.0.1", self.port)).expect("same port again");
        let (state, running) = launch(config, listener).await;
        (self.state, self.handle, self.worker) = (state, running.handle, running.worker);
        self.streams = running.streams;
        actix_web::rt::spawn(running.server);
    }

    /// The federation library's request data over this instance, for service calls.
    pub async fn ctx(&self) -> guild::state::Ctx {
        server::federation_config(self.state.clone())
            .await
            .expect("federation config")
            .to_request_data()
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// GET with an `Accept` header; returns status and body text.
    pub async fn get(&self, path: &str, accept: &str) -> (u16, String) {
        let response = self
            .http
            .get(self.url(path))
            .header("Accept", accept)
            .send()
            .await
            .expect("request");
        let status = response.status().as_u16();
        (status, response.text().await.expect("body"))
    }

    /// GET expecting 200 and a JSON body.
    pub async fn get_json(&self, path: &str, accept: &str) -> serde_json::Value {
        let (status, body) = self.get(path, accept).await;
        assert_eq!(status, 200, "GET {path}: {body}");
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("GET {path}: not JSON ({e}): {body}"))
    }

    /// Run a service call on the server's database.
    pub async fn with_db<T, F>(&self, f: F) -> T
    where
        F: FnOnce(&mut guild::db::DbConn, &Config) -> Result<T, guild::error::Error>
            + Send
            + 'static,
        T: Send + 'static,
    {
        let config = self.state.config.clone();
        self.state
            .db
            .run(move |conn| f(conn, &config))
            .await
            .expect("database call")
    }

    /// A local user who can sign in.
    pub async fn create_user(&self, name: &str, admin: bool) {
        let name = name.to_string();
        self.with_db(move |conn, config| {
            let email = format!("{name}@example.org");
            let new = guild::service::accounts::NewUser {
                username: &name,
                display_name: None,
                email: &email,
                password: "password123",
                admin,
                approved: true,
            };
            guild::service::accounts::create_user(conn, config, &new).map(|_| ())
        })
        .await
    }

    /// A local person's account and a signer with their key, to act as their server would.
    pub async fn signer(&self, name: &str) -> (guild::store::accounts::Account, Signer) {
        let name = name.to_string();
        let account = self
            .with_db(move |conn, _| guild::store::accounts::local_by_username(conn, &name))
            .await
            .expect("a local person");
        let signer = Signer {
            key_id: format!("{}#main-key", account.ap_id),
            private_pem: account.private_key_pem.clone().expect("a local key"),
        };
        (account, signer)
    }

    pub async fn create_community(&self, name: &str, owner: &str) {
        let (name, owner) = (name.to_string(), owner.to_string());
        self.with_db(move |conn, config| {
            guild::service::accounts::create_community(conn, config, &name, &owner, None)
                .map(|_| ())
        })
        .await
    }

    pub async fn stop(self) {
        self.streams.close_all();
        self.worker.abort();
        self.handle.stop(true).await;
    }
}

/// Print what a client suite said, and fail the test if the suite failed.
pub fn assert_suite_passed(output: &std::process::Output, suite: &str) {
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    eprintln!("{text}");
    assert!(output.status.success(), "the {suite} suite failed");
}

/// Poll `check` until it returns true, for up to 30 seconds.
pub async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !check().await {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting until {what}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// Server logs in test output, filtered by `RUST_LOG` (default: warnings).
fn init_logging() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let filter = tracing_subscriber::EnvFilter::try_from_default_env()
            .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
        let _ = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_test_writer()
            .try_init();
    });
}

/// Who signs a request: key id and PEM private key.
pub struct Signer {
    pub key_id: String,
    pub private_pem: String,
}

/// POST `body` to `path` on `server`, signed by `signer` over `signed_body` (normally the same
/// body; a different one makes the digest wrong).
pub async fn post(
    server: &TestServer,
    path: &str,
    body: &str,
    signer: Option<&Signer>,
    signed_body: &str,
) -> u16 {
    let url = url::Url::parse(&server.url(path)).unwrap();
    let mut request = server
        .http
        .post(url.clone())
        .header("Content-Type", "application/activity+json");
    if let Some(signer) = signer {
        let signed = guild::delivery::signing::sign(
            "POST",
            &url,
            Some(signed_body.as_bytes()),
            &signer.key_id,
            &guild::delivery::signing::parse_key(&signer.private_pem).unwrap(),
        )
        .unwrap();
        request = request
            .header("Date", signed.date)
            .header("Digest", signed.digest.unwrap())
            .header("Signature", signed.signature);
    }
    request
        .body(body.to_string())
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

pub async fn signed(
    server: &TestServer,
    path: &str,
    body: &serde_json::Value,
    signer: &Signer,
) -> u16 {
    let text = body.to_string();
    post(server, path, &text, Some(signer), &text).await
}

/// `who` follows `whom` (both as stored on `server`); waits until the follow is accepted.
pub async fn follow_accepted(
    server: &TestServer,
    who: guild::store::accounts::Account,
    whom: guild::store::accounts::Account,
) {
    let follow = server
        .with_db(move |conn, config| guild::service::follows::follow(conn, config, &who, &whom))
        .await;
    let id = follow.id;
    eventually("the follow is accepted", || async {
        server
            .with_db(move |conn, _| {
                use diesel::prelude::*;
                use guild::db::schema::follows::dsl;
                Ok(dsl::follows
                    .find(id)
                    .select(dsl::state)
                    .first::<String>(conn)?)
            })
            .await
            == "accepted"
    })
    .await;
}

/// A small JPEG photo.
pub fn photo() -> Vec<u8> {
    let image = image::RgbImage::from_fn(64, 48, |x, y| image::Rgb([x as u8 * 4, y as u8 * 5, 90]));
    let mut out = std::io::Cursor::new(Vec::new());
    image.write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
    out.into_inner()
}

/// A public post with `text` and nothing else.
pub fn public_post(text: &str) -> guild::service::statuses::NewPost {
    guild::service::statuses::NewPost {
        text: text.to_string(),
        ..guild::service::statuses::NewPost::new(guild::domain::Visibility::Public)
    }
}

/// The id on `server` of the status `uri`, once it has arrived there.
pub async fn arrived(server: &TestServer, uri: &str) -> i64 {
    let find = || async {
        let uri = uri.to_string();
        server
            .with_db(move |conn, _| guild::store::statuses::by_ap_id(conn, &uri))
            .await
    };
    eventually(&format!("{uri} reaches {}", server.domain), || async {
        find().await.is_some()
    })
    .await;
    find().await.unwrap().id
}
