//! Prints what streaming costs: the server's memory per idle WebSocket connection, and how
//! long a post takes to reach 1,000 connected clients (p50/p99), half of them on their home
//! stream and half on the local public one, for 100 people. The server is the release
//! binary, in its own process so that its memory is its own; the clients run here. SQLite
//! by default; with `BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres` a fresh
//! database on that server, where every event travels through `NOTIFY` as between nodes.
//! Run: `cargo bench --bench streaming`.

mod support;

use futures::StreamExt;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::{create_people, guild, percentile, settings, Api, BenchDb, Server};

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

#[tokio::main]
async fn main() {
    let (people, connections_each) = sizes();
    let dir = tempfile::tempdir().unwrap();
    let port = support::free_port();
    let db = BenchDb::create(dir.path());
    let per_token = connections_each.to_string();
    let settings = settings(
        dir.path(),
        port,
        &db.url,
        &[
            ("GUILD_STREAMING_CONNECTIONS_PER_TOKEN", &per_token),
            // Every person's token is asked for from one address.
            ("GUILD_API_RATE_LIMIT", "1000000"),
        ],
    );
    let names: Vec<String> = (0..=people).map(|i| format!("person{i}")).collect();
    let name_refs: Vec<&str> = names.iter().map(String::as_str).collect();
    create_people(dir.path(), &settings, &name_refs);
    let server = Server(guild(dir.path(), &settings).spawn().unwrap());
    let base = format!("http://127.0.0.1:{port}");
    let api = Api::start(base.clone()).await;
    let http = api.http.clone();
    let poster = api.token(&names[0], "read write follow").await;
    let me: Value = answer(
        http.get(format!("{base}/api/v1/accounts/verify_credentials"))
            .bearer_auth(&poster),
    )
    .await;
    let poster_id = me["id"].as_str().unwrap().to_string();
    let mut readers = Vec::new();
    for name in &names[1..] {
        let token = api.token(name, "read write follow").await;
        http.post(format!("{base}/api/v1/accounts/{poster_id}/follow"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        readers.push(token);
    }

    tokio::time::sleep(Duration::from_secs(1)).await;
    let before = server.resident_mb();
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
    let after = server.resident_mb();
    println!(
        "{connections} idle WebSocket connections: server resident memory {:.1} MB -> {:.1} MB, {:.1} KB per connection",
        before,
        after,
        (after - before).max(0.0) * 1024.0 / connections as f64
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
        server.resident_mb()
    );
}

/// The JSON a request is answered with.
async fn answer(request: reqwest::RequestBuilder) -> Value {
    request.send().await.unwrap().json().await.unwrap()
}
