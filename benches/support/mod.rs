//! What the benchmarks that run the server share: the release binary in its own process,
//! its admin commands, its resident memory, its database, and a signed-in client.

#![allow(dead_code)] // each benchmark uses its own part

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use guild::domain::AccountKind;
use guild::store::accounts::NewAccount;
use serde_json::{json, Value};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub const PASSWORD: &str = "benchmark-password";

/// A free port on the loopback interface.
pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// The `GUILD_*` settings of a server on `port` and of its admin commands, and `more`.
pub fn settings(
    dir: &Path,
    port: u16,
    database_url: &str,
    more: &[(&str, &str)],
) -> Vec<(String, String)> {
    let mut settings: Vec<(String, String)> = [
        ("GUILD_DOMAIN", format!("localhost:{port}")),
        ("GUILD_BIND", format!("127.0.0.1:{port}")),
        ("GUILD_DATA_DIR", dir.display().to_string()),
        ("GUILD_DATABASE_URL", database_url.to_string()),
        ("GUILD_OAUTH_PASSWORD_GRANT", "true".to_string()),
        ("GUILD_DB_POOL_SIZE", "8".to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    settings.extend(more.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    settings
}

/// The release binary with these settings, run in `dir`; `BENCH_SERVER` names another
/// build of it, to compare two builds on the same benchmark.
pub fn guild(dir: &Path, settings: &[(String, String)]) -> Command {
    let server = std::env::var_os("BENCH_SERVER");
    let mut command = Command::new(
        server
            .as_deref()
            .unwrap_or(env!("CARGO_BIN_EXE_guild").as_ref()),
    );
    command
        .current_dir(dir)
        .envs(settings.iter().cloned())
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null());
    command
}

/// Run an admin command of the `guild` binary, which must succeed.
pub fn admin(dir: &Path, settings: &[(String, String)], args: &[&str]) {
    let status = guild(dir, settings).args(args).status().unwrap();
    assert!(status.success(), "guild {args:?} failed");
}

/// The schema by `guild migrate`, then local people through `guild user create`, as an
/// operator would make them.
pub fn create_people(dir: &Path, settings: &[(String, String)], names: &[&str]) {
    admin(dir, settings, &["migrate"]);
    for name in names {
        let email = format!("{name}@example.org");
        let args = ["user", "create", name, "--email", &email];
        admin(
            dir,
            settings,
            &[&args[..], &["--password", PASSWORD]].concat(),
        );
    }
}

/// The database the benchmark uses: a SQLite file in the temporary directory, or a fresh
/// PostgreSQL database on the server `BENCH_DATABASE_URL` names, dropped when this is.
pub struct BenchDb {
    pub url: String,
    /// (server URL to connect to for dropping, database name)
    postgres: Option<(String, String)>,
}

impl BenchDb {
    pub fn create(dir: &Path) -> BenchDb {
        let Ok(server) = std::env::var("BENCH_DATABASE_URL") else {
            let url = format!("sqlite://{}/guild.sqlite", dir.display());
            return BenchDb {
                url,
                postgres: None,
            };
        };
        let name = format!("guild_bench_{}", std::process::id());
        let mut admin = PgConnection::establish(&server).expect("BENCH_DATABASE_URL connects");
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .expect("the bench database is created");
        let mut url = url::Url::parse(&server).expect("BENCH_DATABASE_URL is a URL");
        url.set_path(&name);
        BenchDb {
            url: url.to_string(),
            postgres: Some((server, name)),
        }
    }
}

impl Drop for BenchDb {
    fn drop(&mut self) {
        let Some((server, name)) = &self.postgres else {
            return;
        };
        if std::env::var("BENCH_KEEP").is_ok_and(|v| v == "1") {
            println!("kept database {name} (BENCH_KEEP=1): drop it when done");
            return;
        }
        // FORCE: a connection a crashed server left open must not keep the database alive.
        let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
        let dropped = match PgConnection::establish(server) {
            Ok(mut admin) => admin.batch_execute(&sql).map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        match dropped {
            Ok(()) => println!("dropped database {name}"),
            Err(e) => eprintln!("could not drop database {name}: {e}"),
        }
    }
}

/// The server process, stopped when this is dropped, even if the benchmark panics.
pub struct Server(pub Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Server {
    /// Its resident memory (VmRSS) in MB.
    pub fn resident_mb(&self) -> f64 {
        self.memory_mb("VmRSS")
    }

    /// The CPU time (user and system) it has used, in ms.
    pub fn cpu_ms(&self) -> f64 {
        cpu_ms(self.0.id())
    }

    /// One memory figure of its `/proc/PID/status` (`VmRSS`, `RssAnon`, `VmHWM`…) in MB.
    pub fn memory_mb(&self, field: &str) -> f64 {
        let pid = self.0.id();
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        let kb: u64 = status
            .lines()
            .find(|l| l.split(':').next() == Some(field))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse().ok())
            .unwrap_or(0);
        kb as f64 / 1024.0
    }
}

/// An account as a remote server's actor would be stored: `origin` is the server's
/// `scheme://host[:port]`.
pub fn remote_account(kind: AccountKind, name: &str, origin: &str, path: &str) -> NewAccount {
    let ap_id = format!("{origin}/{path}/{name}");
    let domain = origin.split("://").nth(1).unwrap_or(origin);
    let then = (chrono::Utc::now() - chrono::Duration::days(400)).naive_utc();
    NewAccount {
        id: guild::ids::next_id(),
        kind,
        username: name.to_string(),
        domain: Some(domain.to_string()),
        display_name: name.to_string(),
        note: String::new(),
        url: Some(ap_id.clone()),
        inbox_url: format!("{ap_id}/inbox"),
        shared_inbox_url: Some(format!("{origin}/inbox")),
        outbox_url: Some(format!("{ap_id}/outbox")),
        followers_url: Some(format!("{ap_id}/followers")),
        following_url: Some(format!("{ap_id}/following")),
        featured_url: Some(format!("{ap_id}/featured")),
        public_key_pem: "-----BEGIN PUBLIC KEY-----\nbench\n-----END PUBLIC KEY-----\n".into(),
        private_key_pem: None,
        locked: false,
        created_at: then,
        updated_at: then,
        ap_id,
    }
}

/// A person named `name` on the server at `origin`, following the local account `target`,
/// stored as Guild stores a remote follower whose follow it accepted.
pub fn insert_remote_follower(
    conn: &mut guild::db::DbConn,
    origin: &str,
    name: &str,
    target: i64,
) -> Result<(), guild::error::Error> {
    let follower = remote_account(AccountKind::Person, name, origin, "users");
    guild::store::accounts::insert(conn, &follower)?;
    let follow = guild::store::follows::Follow {
        id: guild::ids::next_id(),
        account_id: follower.id,
        target_account_id: target,
        state: guild::domain::FollowState::Accepted,
        ap_id: None,
        created_at: guild::time::now(),
    };
    guild::store::follows::insert(conn, &follow)
}

/// The client side: one keep-alive HTTP client and a registered app.
pub struct Api {
    pub http: reqwest::Client,
    pub base: String,
    app: Value,
}

impl Api {
    /// Waits for the server at `base` to answer, then registers an app.
    pub async fn start(base: String) -> Api {
        let http = reqwest::Client::new();
        while http.get(format!("{base}/healthz")).send().await.is_err() {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let app = json!({"client_name": "bench", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob", "scopes": "read write follow"});
        let response = http.post(format!("{base}/api/v1/apps")).json(&app);
        let app = response.send().await.unwrap().json().await.unwrap();
        Api { http, base, app }
    }

    /// A fresh token of `name` with `scope`.
    pub async fn token(&self, name: &str, scope: &str) -> String {
        let app = &self.app;
        let body = json!({"grant_type": "password", "client_id": app["client_id"], "client_secret": app["client_secret"], "username": name, "password": PASSWORD, "scope": scope});
        let token: Value = self
            .http
            .post(format!("{}/oauth/token", self.base))
            .json(&body)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        token["access_token"].as_str().expect("a token").to_string()
    }
}

impl Api {
    /// The `Cookie` header of a fresh browser session of `name`, signed in through the form.
    pub async fn session(&self, name: &str) -> String {
        let cookie = |response: &reqwest::Response, wanted: &str| {
            response
                .headers()
                .get_all("set-cookie")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .filter_map(|v| v.split(';').next())
                .find(|pair| pair.starts_with(wanted))
                .map(str::to_string)
                .expect("the cookie")
        };
        let form = self.http.get(format!("{}/sign-in", self.base));
        let csrf = cookie(&form.send().await.unwrap(), "guild_csrf=");
        let token = csrf.trim_start_matches("guild_csrf=").to_string();
        let fields = [
            ("csrf", token.as_str()),
            ("username", name),
            ("password", PASSWORD),
        ];
        let signed_in = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
            .post(format!("{}/sign-in", self.base))
            .header("cookie", &csrf)
            .form(&fields)
            .send()
            .await
            .unwrap();
        format!("{csrf}; {}", cookie(&signed_in, "guild_session="))
    }
}

/// Percentile `p` (0 to 1) of sorted durations, in milliseconds.
pub fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index].as_secs_f64() * 1000.0
}

/// The CPU time (user and system) process `pid` has used, in ms; 0 if it cannot be read.
pub fn cpu_ms(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The fields after the command's name, which is in parentheses and may hold spaces:
    // utime and stime are the 14th and 15th of the line, in clock ticks.
    let after_name = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest)
        .unwrap_or_default();
    let ticks: u64 = after_name
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|t| t.parse::<u64>().ok())
        .sum();
    let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    ticks as f64 * 1000.0 / per_second
}
