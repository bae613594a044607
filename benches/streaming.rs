//! Prints what streaming costs: the server's memory per idle WebSocket connection, and how
//! long a post takes to reach 1,000 connected clients (p50/p99), half of them on their home
//! stream and half on the local public one, for 100 people. The server is the release
//! binary on SQLite, in its own process so that its memory is its own; the clients run here.
//! Run: `cargo bench --bench streaming`.

use futures::StreamExt;
use serde_json::{json, Value};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const POSTS: usize = 40;

/// People and connections each: 100 and 10 unless `BENCH_PEOPLE` / `BENCH_CONNECTIONS` say.
fn sizes() -> (usize, usize) {
    let read = |name: &str, default: usize| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    (read("BENCH_PEOPLE", 100), read("BENCH_CONNECTIONS", 10))
}

fn guild(dir: &std::path::Path, port: u16) -> Command {
    let (_, connections_each) = sizes();
    let mut command = Command::new(env!("CARGO_BIN_EXE_guild"));
    command
        .current_dir(dir)
        .env("GUILD_DOMAIN", format!("localhost:{port}"))
        .env("GUILD_BIND", format!("127.0.0.1:{port}"))
        .env("GUILD_DATA_DIR", dir)
        .env("GUILD_OAUTH_PASSWORD_GRANT", "true")
        .env(
            "GUILD_STREAMING_CONNECTIONS_PER_TOKEN",
            connections_each.to_string(),
        )
        .env("GUILD_DB_POOL_SIZE", "8")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null());
    command
}

fn resident_kb(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse().ok())
        .unwrap_or(0)
}

async fn token(http: &reqwest::Client, base: &str, app: &Value, name: &str) -> String {
    let token: Value = answer(http
        .post(format!("{base}/oauth/token"))
        .json(&json!({"grant_type": "password", "client_id": app["client_id"], "client_secret": app["client_secret"], "username": name, "password": "benchmark-password", "scope": "read write follow"}))).await;
    token["access_token"].as_str().expect("a token").to_string()
}

/// The JSON a request is answered with.
async fn answer(request: reqwest::RequestBuilder) -> Value {
    request.send().await.unwrap().json().await.unwrap()
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index].as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() {
    let (people, connections_each) = sizes();
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let names: Vec<String> = (0..=people).map(|i| format!("person{i}")).collect();
    for name in &names {
        let email = format!("{name}@example.org");
        let made = guild(dir.path(), port)
            .args(["user", "create", name, "--email", &email])
            .args(["--password", "benchmark-password"])
            .status()
            .unwrap();
        assert!(made.success());
    }
    let mut server = guild(dir.path(), port).spawn().unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    while http.get(format!("{base}/healthz")).send().await.is_err() {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let app: Value = answer(http
        .post(format!("{base}/api/v1/apps"))
        .json(&json!({"client_name": "bench", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob", "scopes": "read write follow"}))).await;
    let poster = token(&http, &base, &app, &names[0]).await;
    let me: Value = answer(
        http.get(format!("{base}/api/v1/accounts/verify_credentials"))
            .bearer_auth(&poster),
    )
    .await;
    let poster_id = me["id"].as_str().unwrap().to_string();
    let mut readers = Vec::new();
    for name in &names[1..] {
        let token = token(&http, &base, &app, name).await;
        http.post(format!("{base}/api/v1/accounts/{poster_id}/follow"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        readers.push(token);
    }

    tokio::time::sleep(Duration::from_secs(1)).await;
    let before = resident_kb(server.id());
    let received: Arc<Mutex<Vec<(usize, Instant)>>> = Arc::default();
    let mut sockets = Vec::new();
    for (i, token) in readers.iter().enumerate() {
        for j in 0..connections_each {
            let stream = if (i + j) % 2 == 0 {
                "user"
            } else {
                "public:local"
            };
            let url = format!(
                "ws://127.0.0.1:{port}/api/v1/streaming?stream={stream}&access_token={token}"
            );
            let (socket, _) = tokio_tungstenite::connect_async(url).await.unwrap();
            sockets.push(socket);
        }
    }
    let connections = sockets.len();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = resident_kb(server.id());
    println!(
        "{connections} idle WebSocket connections: server resident memory {:.1} MB -> {:.1} MB, {:.1} KB per connection",
        before as f64 / 1024.0,
        after as f64 / 1024.0,
        (after.saturating_sub(before)) as f64 / connections as f64
    );

    for socket in sockets {
        let received = received.clone();
        tokio::spawn(async move {
            let (_, mut read) = socket.split();
            while let Some(Ok(message)) = read.next().await {
                let text = message.into_text().unwrap_or_default();
                if let Some(at) = text.find("bench post ") {
                    let digits: String = text[at + 11..]
                        .chars()
                        .take_while(char::is_ascii_digit)
                        .collect();
                    if let Ok(n) = digits.parse() {
                        received.lock().unwrap().push((n, Instant::now()));
                    }
                }
            }
        });
    }
    let mut sent = Vec::new();
    for n in 0..POSTS {
        sent.push(Instant::now());
        http.post(format!("{base}/api/v1/statuses"))
            .bearer_auth(&poster)
            .json(&json!({"status": format!("bench post {n}")}))
            .send()
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    let mut latencies: Vec<Duration> = received
        .lock()
        .unwrap()
        .iter()
        .map(|(n, at)| at.duration_since(sent[*n]))
        .collect();
    latencies.sort();
    println!(
        "{POSTS} posts, one every 250 ms, to {connections} connections ({people} people): {} of {} events arrived; from the post request to the client: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        latencies.len(),
        POSTS * connections,
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99),
        percentile(&latencies, 1.0),
    );
    println!(
        "server resident memory after: {:.1} MB",
        resident_kb(server.id()) as f64 / 1024.0
    );
    server.kill().unwrap();
    server.wait().unwrap();
}
