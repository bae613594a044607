//! Prints how fast federation moves on this machine, with the release server on SQLite in
//! its own process and its peers played by this benchmark on loopback ports:
//!
//! - **Fan-out**: one public post by a person with followers on `BENCH_INSTANCES` instances
//!   (1,000), each a port answering 202, and one more that accepts connections and never
//!   answers. Prints when the post was accepted and when the live instances had it (first,
//!   p50, p99, last), and how many did.
//! - **Inbound**: `BENCH_ACTIVITIES` (10,000) `Create` activities from `BENCH_SENDERS` (100)
//!   remote actors, signed as Mastodon signs (draft-cavage HTTP signatures, RSA-SHA256, with
//!   a `Digest`), posted to the shared inbox over `BENCH_CONNECTIONS` (32) keep-alive
//!   connections. The server fetches each actor once (a warm-up round, timed apart), then
//!   verifies, stores and answers each activity before the next on that connection. Prints
//!   activities per second, p50/p99/max per request, and checks every post was stored.
//!
//! Run: `cargo bench --bench federation`.

#[path = "support/mod.rs"]
mod support;

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use base64::{engine::general_purpose::STANDARD, Engine};
use diesel::prelude::*;
use guild::db::{schema, Db};
use openssl::{hash::MessageDigest, pkey::PKey, rsa::Rsa, sha::sha256, sign::Signer};
use serde_json::{json, Value};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::{percentile, settings, Api, Server};

const POSTER: &str = "poster";
const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

fn read(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
        .max(1)
}

/// What the peers saw: when each delivery arrived, by the port it came to.
#[derive(Default)]
struct Seen {
    deliveries: Mutex<Vec<(u16, Instant)>>,
}

/// The peers: live instances on their own ports, serving their actors and taking deliveries.
struct Peers {
    ports: Vec<u16>,
    /// A port that accepts connections and never answers.
    dead: (u16, TcpListener),
    seen: Arc<Seen>,
}

impl Peers {
    /// Start `count` live instances. Every actor shares one key: generating a thousand
    /// RSA keys would take the benchmark longer than it measures.
    fn start(count: usize, public_key_pem: String) -> Peers {
        let listeners: Vec<TcpListener> = (0..count)
            .map(|_| TcpListener::bind("127.0.0.1:0").unwrap())
            .collect();
        let ports = listeners
            .iter()
            .map(|l| l.local_addr().unwrap().port())
            .collect();
        let seen = Arc::new(Seen::default());
        let state = web::Data::new((seen.clone(), public_key_pem.clone()));
        let mut server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .route("/inbox", web::post().to(deliver))
                .route("/users/{name}/inbox", web::post().to(deliver))
                .route("/users/{name}", web::get().to(actor))
        })
        .workers(1)
        .disable_signals();
        for listener in listeners {
            server = server.listen(listener).unwrap();
        }
        tokio::spawn(server.run());
        let dead = TcpListener::bind("127.0.0.1:0").unwrap();
        let dead = (dead.local_addr().unwrap().port(), dead);
        Peers { ports, dead, seen }
    }
}

type PeerState = web::Data<(Arc<Seen>, String)>;

/// The port a request came to, from its `Host`.
fn port_of(req: &HttpRequest) -> u16 {
    let host = req.connection_info().host().to_string();
    host.rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .unwrap_or(0)
}

async fn deliver(req: HttpRequest, state: PeerState) -> HttpResponse {
    let arrived = (port_of(&req), Instant::now());
    state.0.deliveries.lock().unwrap().push(arrived);
    HttpResponse::Accepted().finish()
}

async fn actor(req: HttpRequest, name: web::Path<String>, state: PeerState) -> HttpResponse {
    let origin = format!("http://localhost:{}", port_of(&req));
    let id = format!("{origin}/users/{name}");
    HttpResponse::Ok()
        .content_type("application/activity+json")
        .json(json!({
            "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
            "id": id,
            "type": "Person",
            "preferredUsername": *name,
            "inbox": format!("{id}/inbox"),
            "outbox": format!("{id}/outbox"),
            "followers": format!("{id}/followers"),
            "endpoints": {"sharedInbox": format!("{origin}/inbox")},
            "publicKey": {"id": format!("{id}#main-key"), "owner": id, "publicKeyPem": state.1},
        }))
}

/// One follower on each live instance and one on the dead one, following the poster.
fn seed_followers(database_url: &str, peers: &Peers) {
    let db = Db::connect(database_url, 1).unwrap();
    let mut conn = db.conn().unwrap();
    let conn = &mut *conn;
    let poster = guild::store::accounts::local_by_username(conn, POSTER)
        .unwrap()
        .expect("the poster exists");
    let ports = peers.ports.iter().chain([&peers.dead.0]);
    guild::db::transaction(conn, |conn| {
        for port in ports {
            let origin = format!("http://localhost:{port}");
            support::insert_remote_follower(conn, &origin, "follower", poster.id)?;
        }
        Ok::<_, guild::error::Error>(())
    })
    .unwrap();
}

async fn fan_out(api: &Api, peers: &Peers) {
    let token = api.token(POSTER, "write").await;
    let began = Instant::now();
    let posted = api
        .http
        .post(format!("{}/api/v1/statuses", api.base))
        .bearer_auth(&token)
        .json(&json!({"status": "Fan-out benchmark", "visibility": "public"}))
        .send()
        .await
        .unwrap();
    assert!(posted.status().is_success(), "posting: {}", posted.status());
    let accepted = began.elapsed();
    let live = peers.ports.len();
    let deadline = began + Duration::from_secs(60);
    while peers.seen.deliveries.lock().unwrap().len() < live && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let mut times: Vec<Duration> = peers
        .seen
        .deliveries
        .lock()
        .unwrap()
        .iter()
        .map(|(_, at)| at.duration_since(began))
        .collect();
    times.sort();
    println!("\nfan-out: one public post to followers on {live} live instances and 1 dead one");
    println!(
        "  post accepted by the API after {:.1} ms",
        accepted.as_secs_f64() * 1000.0
    );
    println!(
        "  delivered to {} of {live} live instances; first {:.0} ms, p50 {:.0} ms, p99 {:.0} ms, last {:.0} ms",
        times.len(),
        percentile(&times, 0.0),
        percentile(&times, 0.5),
        percentile(&times, 0.99),
        percentile(&times, 1.0),
    );
}

/// One actor of the senders: its id and where its posts live.
struct Sender {
    id: String,
}

/// A signed POST of `activity` to `url`, as Mastodon signs it: (request-target), host,
/// date and digest, RSA-SHA256.
struct Signed {
    body: String,
    date: String,
    digest: String,
    signature: String,
}

fn sign(key: &PKey<openssl::pkey::Private>, key_id: &str, host: &str, activity: &Value) -> Signed {
    let body = activity.to_string();
    let date = chrono::Utc::now()
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string();
    let digest = format!("SHA-256={}", STANDARD.encode(sha256(body.as_bytes())));
    let text =
        format!("(request-target): post /inbox\nhost: {host}\ndate: {date}\ndigest: {digest}");
    let mut signer = Signer::new(MessageDigest::sha256(), key).unwrap();
    signer.update(text.as_bytes()).unwrap();
    let signature = STANDARD.encode(signer.sign_to_vec().unwrap());
    Signed {
        body,
        date,
        digest,
        signature: format!(
            "keyId=\"{key_id}#main-key\",algorithm=\"rsa-sha256\",headers=\"(request-target) host date digest\",signature=\"{signature}\""
        ),
    }
}

/// A public post by `sender`, the `n`th of the run.
fn create(sender: &Sender, n: usize) -> Value {
    let post = format!("{}/statuses/{n}", sender.id);
    let published = guild::time::rfc3339(guild::time::now());
    json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{post}/activity"),
        "type": "Create",
        "actor": sender.id,
        "published": published,
        "to": [PUBLIC],
        "cc": [format!("{}/followers", sender.id)],
        "object": {
            "id": post,
            "type": "Note",
            "attributedTo": sender.id,
            "content": format!("<p>Inbound benchmark post {n}.</p>"),
            "published": published,
            "to": [PUBLIC],
            "cc": [format!("{}/followers", sender.id)],
        },
    })
}

/// Post `signed` over `connections` connections at once; the time of each answer and the
/// statuses other than 202.
async fn post_all(
    http: &reqwest::Client,
    inbox: &str,
    signed: Vec<Signed>,
    connections: usize,
) -> (Vec<Duration>, Vec<String>) {
    let queue = Arc::new(Mutex::new(signed));
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let (queue, http, inbox) = (queue.clone(), http.clone(), inbox.to_string());
        tasks.push(tokio::spawn(async move {
            let (mut times, mut refused) = (Vec::new(), Vec::new());
            loop {
                let Some(one) = queue.lock().unwrap().pop() else {
                    break;
                };
                let began = Instant::now();
                let answer = http
                    .post(&inbox)
                    .header("Content-Type", "application/activity+json")
                    .header("Date", one.date)
                    .header("Digest", one.digest)
                    .header("Signature", one.signature)
                    .body(one.body)
                    .send()
                    .await;
                times.push(began.elapsed());
                match answer {
                    Ok(a) if a.status().as_u16() == 202 => {}
                    Ok(a) => {
                        let status = a.status();
                        refused.push(format!("{status} {}", a.text().await.unwrap_or_default()))
                    }
                    Err(e) => refused.push(e.to_string()),
                }
            }
            (times, refused)
        }));
    }
    let (mut times, mut refused) = (Vec::new(), Vec::new());
    for task in tasks {
        let (t, r) = task.await.unwrap();
        times.extend(t);
        refused.extend(r);
    }
    times.sort();
    (times, refused)
}

async fn inbound(api: &Api, peers: &Peers, key: &PKey<openssl::pkey::Private>, port: u16) {
    let (activities, senders) = (read("BENCH_ACTIVITIES", 10_000), read("BENCH_SENDERS", 100));
    let connections = read("BENCH_CONNECTIONS", 32);
    let senders: Vec<Sender> = (0..senders)
        .map(|i| {
            let port = peers.ports[i % peers.ports.len()];
            Sender {
                id: format!("http://localhost:{port}/users/sender{i}"),
            }
        })
        .collect();
    let host = format!("127.0.0.1:{port}");
    let inbox = format!("http://{host}/inbox");
    let sign_all = |range: std::ops::Range<usize>| -> Vec<Signed> {
        range
            .map(|n| {
                let sender = &senders[n % senders.len()];
                sign(key, &sender.id, &host, &create(sender, n))
            })
            .collect()
    };
    // First sight of each actor: the server fetches it.
    let warm_up = sign_all(0..senders.len());
    let began = Instant::now();
    let (_, refused) = post_all(&api.http, &inbox, warm_up, connections).await;
    println!(
        "\ninbound: {} senders seen for the first time (each fetched once) in {:.0} ms, {} refused",
        senders.len(),
        began.elapsed().as_secs_f64() * 1000.0,
        refused.len()
    );
    let signing = Instant::now();
    let signed = sign_all(senders.len()..senders.len() + activities);
    println!(
        "  {activities} activities signed in {:.1} s before the run",
        signing.elapsed().as_secs_f64()
    );
    let began = Instant::now();
    let (times, refused) = post_all(&api.http, &inbox, signed, connections).await;
    let took = began.elapsed().as_secs_f64();
    println!(
        "  {activities} activities over {connections} connections in {took:.1} s: {:.0} activities/s; per request p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        activities as f64 / took,
        percentile(&times, 0.5),
        percentile(&times, 0.99),
        percentile(&times, 1.0),
    );
    if let Some(first) = refused.first() {
        println!("  {} not accepted (first: {first})", refused.len());
    }
}

/// Statuses stored from remote actors.
fn remote_statuses(database_url: &str) -> i64 {
    let db = Db::connect(database_url, 1).unwrap();
    let mut conn = db.conn().unwrap();
    schema::statuses::table
        .filter(schema::statuses::local.eq(false))
        .count()
        .get_result(&mut *conn)
        .unwrap()
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let database_url = format!("sqlite://{}/guild.sqlite", dir.path().display());
    let port = support::free_port();
    let more = [("GUILD_INSECURE_FEDERATION", "true")];
    let settings = settings(dir.path(), port, &database_url, &more);
    support::create_people(dir.path(), &settings, &[POSTER]);

    let key = PKey::from_rsa(Rsa::generate(2048).unwrap()).unwrap();
    let public_key_pem = String::from_utf8(key.public_key_to_pem().unwrap()).unwrap();
    let peers = Peers::start(read("BENCH_INSTANCES", 1000), public_key_pem);
    seed_followers(&database_url, &peers);

    let server = Server(support::guild(dir.path(), &settings).spawn().unwrap());
    let api = Api::start(format!("http://localhost:{port}")).await;
    println!(
        "server resident memory after start: {:.1} MB",
        server.resident_mb()
    );
    fan_out(&api, &peers).await;
    inbound(&api, &peers, &key, port).await;
    println!(
        "  statuses stored from other servers: {}",
        remote_statuses(&database_url)
    );
    println!(
        "\nserver resident memory at the end: {:.1} MB",
        server.resident_mb()
    );
    drop(server);
    drop(peers.dead.1);
}
