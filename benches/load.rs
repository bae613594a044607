//! Prints how the server holds up under sustained mixed use: the release server in its own
//! process, `BENCH_PEOPLE` (20) local people who follow each other, and a driver that sends
//! `BENCH_RATE` (200) requests a second for `BENCH_SECONDS` (600) — reading home, public,
//! profiles, notifications, threads; posting (with mentions, tags and replies), favouriting
//! and boosting — with every public post also delivered to a follower on another instance
//! (played by the benchmark on a loopback port). Every 30 seconds it prints the requests
//! answered and the server's resident memory; at the end, p50/p99/max per kind of request,
//! the throughput, and memory after start, halfway and at the end.
//!
//! Run: `cargo bench --bench load` (SQLite in a temporary directory), or with
//! `BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres`. Short:
//! `BENCH_SECONDS=60`.

#[path = "support/mod.rs"]
mod support;

use actix_web::{web, App, HttpResponse, HttpServer};
use guild::db::Db;
use rand::{rngs::StdRng, Rng, SeedableRng};
use serde_json::{json, Value};
use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::{percentile, settings, Api, BenchDb, Server};

fn read(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
        .max(1)
}

/// The kinds of request and how often each is sent, out of 100.
const MIX: [(Kind, u32); 12] = [
    (Kind::Home, 30),
    (Kind::Public, 10),
    (Kind::Profile, 10),
    (Kind::Notifications, 10),
    (Kind::Context, 5),
    (Kind::Me, 5),
    (Kind::Instance, 5),
    (Kind::Search, 2),
    (Kind::Post, 10),
    (Kind::Reply, 4),
    (Kind::Favourite, 6),
    (Kind::Boost, 3),
];

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Home,
    Public,
    Profile,
    Notifications,
    Context,
    Me,
    Instance,
    Search,
    Post,
    Reply,
    Favourite,
    Boost,
}

/// A signed-in person of the run.
struct Person {
    name: String,
    id: String,
    token: String,
}

/// What the run shares between its requests.
struct Run {
    api: Api,
    people: Vec<Person>,
    /// The newest statuses posted in the run, to reply to, favourite, boost and open.
    recent: Mutex<VecDeque<String>>,
    times: Mutex<BTreeMap<Kind, Vec<Duration>>>,
    /// Answers other than 2xx, by kind, with the first seen.
    failures: Mutex<BTreeMap<Kind, (usize, String)>>,
    answered: AtomicUsize,
}

impl Run {
    fn recent(&self, rng: &mut StdRng) -> Option<String> {
        let recent = self.recent.lock().unwrap();
        (!recent.is_empty()).then(|| recent[rng.random_range(0..recent.len())].clone())
    }

    /// The request for `kind`: whether it is a POST, the path and the JSON body.
    fn request(&self, kind: Kind, rng: &mut StdRng) -> (bool, String, Value) {
        let other = &self.people[rng.random_range(0..self.people.len())];
        let recent = self.recent(rng).unwrap_or_default();
        let get = |path: String| (false, path, Value::Null);
        match kind {
            Kind::Home => get("/api/v1/timelines/home".into()),
            Kind::Public => get("/api/v1/timelines/public".into()),
            Kind::Profile => get(format!("/api/v1/accounts/{}/statuses", other.id)),
            Kind::Notifications => get("/api/v1/notifications".into()),
            Kind::Context => get(format!("/api/v1/statuses/{recent}/context")),
            Kind::Me => get("/api/v1/accounts/verify_credentials".into()),
            Kind::Instance => get("/api/v2/instance".into()),
            Kind::Search => get(format!("/api/v2/search?q={}&type=accounts", other.name)),
            Kind::Post | Kind::Reply => {
                let n: u32 = rng.random();
                let text = format!(
                    "Working notes {n}: asked @{} about the #load figures at https://example.org/notes/{n}",
                    other.name
                );
                let mut body = json!({"status": text, "visibility": "public"});
                if kind == Kind::Reply {
                    body["in_reply_to_id"] = json!(recent);
                }
                (true, "/api/v1/statuses".into(), body)
            }
            Kind::Favourite => (
                true,
                format!("/api/v1/statuses/{recent}/favourite"),
                json!({}),
            ),
            Kind::Boost => (true, format!("/api/v1/statuses/{recent}/reblog"), json!({})),
        }
    }

    async fn send(self: Arc<Self>, kind: Kind, seed: u64) {
        let mut rng = StdRng::seed_from_u64(seed);
        let (post, path, body) = self.request(kind, &mut rng);
        let person = &self.people[rng.random_range(0..self.people.len())];
        let url = format!("{}{path}", self.api.base);
        let request = match post {
            true => self.api.http.post(url).json(&body),
            false => self.api.http.get(url),
        };
        let began = Instant::now();
        let answer = request.bearer_auth(&person.token).send().await;
        let failure = match answer {
            Ok(response) if response.status().is_success() => {
                let body: Value = response.json().await.unwrap_or(Value::Null);
                let took = began.elapsed();
                self.times
                    .lock()
                    .unwrap()
                    .entry(kind)
                    .or_default()
                    .push(took);
                if matches!(kind, Kind::Post | Kind::Reply) {
                    self.remember(&body);
                }
                None
            }
            Ok(response) => Some(response.status().to_string()),
            Err(e) => Some(e.to_string()),
        };
        if let Some(failure) = failure {
            let mut failures = self.failures.lock().unwrap();
            failures.entry(kind).or_insert((0, failure)).0 += 1;
        }
        self.answered.fetch_add(1, Ordering::Relaxed);
    }

    fn remember(&self, status: &Value) {
        let Some(id) = status["id"].as_str() else {
            return;
        };
        let mut recent = self.recent.lock().unwrap();
        recent.push_back(id.to_string());
        if recent.len() > 200 {
            recent.pop_front();
        }
    }
}

/// Another instance with a follower of every person, answering each delivery with 202.
fn start_peer() -> (u16, Arc<AtomicUsize>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let delivered = Arc::new(AtomicUsize::new(0));
    let counter = web::Data::new(delivered.clone());
    let server = HttpServer::new(move || {
        App::new().app_data(counter.clone()).route(
            "/inbox",
            web::post().to(|counter: web::Data<Arc<AtomicUsize>>| async move {
                counter.fetch_add(1, Ordering::Relaxed);
                HttpResponse::Accepted().finish()
            }),
        )
    })
    .workers(1)
    .disable_signals()
    .listen(listener)
    .unwrap();
    tokio::spawn(server.run());
    (port, delivered)
}

fn seed_remote_followers(database_url: &str, names: &[String], peer: u16) {
    let db = Db::connect(database_url, 1).unwrap();
    let mut conn = db.conn().unwrap();
    let origin = format!("http://localhost:{peer}");
    guild::db::transaction(&mut conn, |conn| {
        for name in names {
            let person =
                guild::store::accounts::local_by_username(conn, name)?.expect("the person exists");
            support::insert_remote_follower(conn, &origin, name, person.id)?;
        }
        Ok::<_, guild::error::Error>(())
    })
    .unwrap();
}

/// Tokens, ids, a first post each (returned, so that there is something to reply to,
/// favourite and boost), and each person following the next five.
async fn sign_in(api: &Api, names: &[String]) -> (Vec<Person>, VecDeque<String>) {
    let mut people = Vec::new();
    for name in names {
        let token = api.token(name, "read write follow").await;
        let me: Value = api
            .http
            .get(format!("{}/api/v1/accounts/verify_credentials", api.base))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let id = me["id"].as_str().expect("an account id").to_string();
        people.push(Person {
            name: name.clone(),
            id,
            token,
        });
    }
    let mut posted = VecDeque::new();
    for (i, person) in people.iter().enumerate() {
        let url = format!("{}/api/v1/statuses", api.base);
        let first = json!({"status": format!("Hello from {}", person.name)});
        let answer = api.http.post(url).bearer_auth(&person.token).json(&first);
        let status: Value = answer.send().await.unwrap().json().await.unwrap();
        posted.push_back(status["id"].as_str().expect("posted").to_string());
        for step in 1..=5.min(people.len() - 1) {
            let other = &people[(i + step) % people.len()];
            let url = format!("{}/api/v1/accounts/{}/follow", api.base, other.id);
            let answer = api.http.post(url).bearer_auth(&person.token).send().await;
            assert!(answer.unwrap().status().is_success(), "following");
        }
    }
    (people, posted)
}

/// Memory figures of the server at one moment, in MB.
fn memory(server: &Server) -> (f64, f64) {
    (server.resident_mb(), server.memory_mb("RssAnon"))
}

fn print_table(run: &Run, seconds: f64) {
    let times = run.times.lock().unwrap();
    let failures = run.failures.lock().unwrap();
    println!(
        "\n{:<14} {:>8} {:>8} {:>8} {:>8} {:>8}",
        "request", "answered", "p50 ms", "p99 ms", "max ms", "failed"
    );
    for (kind, _) in MIX {
        let mut list = times.get(&kind).cloned().unwrap_or_default();
        list.sort();
        let failed = failures
            .get(&kind)
            .map_or(String::new(), |(n, first)| format!("{n} (first: {first})"));
        println!(
            "{:<14} {:>8} {:>8.1} {:>8.1} {:>8.1} {:>8}",
            format!("{kind:?}"),
            list.len(),
            percentile(&list, 0.5),
            percentile(&list, 0.99),
            percentile(&list, 1.0),
            failed
        );
    }
    let answered = run.answered.load(Ordering::Relaxed);
    println!(
        "\n{answered} requests in {seconds:.0} s: {:.0} a second",
        answered as f64 / seconds
    );
}

/// A kind of request, drawn by its weight in [`MIX`].
fn pick(rng: &mut StdRng) -> Kind {
    let roll = rng.random_range(0..100);
    let mut sum = 0;
    MIX.iter()
        .find(|(_, weight)| {
            sum += weight;
            roll < sum
        })
        .map_or(Kind::Home, |(kind, _)| *kind)
}

/// Send `rate` requests a second for `seconds`, printing progress and memory every 30 s;
/// the memory figures halfway, and how long it took until every answer was in.
async fn drive(
    run: &Arc<Run>,
    server: &Server,
    delivered: &AtomicUsize,
    rate: usize,
    seconds: usize,
) -> (Option<(f64, f64)>, f64) {
    let mut rng = StdRng::seed_from_u64(7);
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / rate as f64));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // More in flight than this means the server has fallen behind: the driver waits.
    let in_flight = Arc::new(tokio::sync::Semaphore::new(256));
    let began = Instant::now();
    let (mut next_report, mut halfway) = (30.0, None);
    let mut last_answered = 0;
    while began.elapsed().as_secs_f64() < seconds as f64 {
        tick.tick().await;
        let kind = pick(&mut rng);
        let permit = in_flight.clone().acquire_owned().await.unwrap();
        let (sender, seed) = (run.clone(), rng.random());
        tokio::spawn(async move {
            sender.send(kind, seed).await;
            drop(permit);
        });
        let elapsed = began.elapsed().as_secs_f64();
        if elapsed >= next_report {
            let answered = run.answered.load(Ordering::Relaxed);
            let (rss, anon) = memory(server);
            println!(
                "{elapsed:>5.0} s: {:>4.0} answered a second, resident {rss:.1} MB ({anon:.1} MB anonymous), {} deliveries received",
                (answered - last_answered) as f64 / 30.0,
                delivered.load(Ordering::Relaxed)
            );
            last_answered = answered;
            next_report += 30.0;
            if halfway.is_none() && elapsed >= seconds as f64 / 2.0 {
                halfway = Some((rss, anon));
            }
        }
    }
    let _ = in_flight.acquire_many(256).await;
    (halfway, began.elapsed().as_secs_f64())
}

#[tokio::main]
async fn main() {
    let (people, rate, seconds) = (
        read("BENCH_PEOPLE", 20).max(2),
        read("BENCH_RATE", 200),
        read("BENCH_SECONDS", 600),
    );
    let dir = tempfile::tempdir().unwrap();
    let database = BenchDb::create(dir.path());
    let port = support::free_port();
    let more = [
        ("GUILD_INSECURE_FEDERATION", "true"),
        // The driver's people each send about `rate / people` requests a second.
        ("GUILD_API_RATE_LIMIT", "1000000"),
    ];
    let settings = settings(dir.path(), port, &database.url, &more);
    let names: Vec<String> = (0..people).map(|i| format!("person{i}")).collect();
    let name_refs: Vec<&str> = names.iter().map(String::as_str).collect();
    support::create_people(dir.path(), &settings, &name_refs);
    let (peer, delivered) = start_peer();
    seed_remote_followers(&database.url, &names, peer);

    let server = Server(support::guild(dir.path(), &settings).spawn().unwrap());
    let api = Api::start(format!("http://localhost:{port}")).await;
    let idle = memory(&server);
    println!(
        "server resident memory after start: {:.1} MB ({:.1} MB anonymous)",
        idle.0, idle.1
    );
    let (signed_in, posted) = sign_in(&api, &names).await;
    let run = Arc::new(Run {
        people: signed_in,
        api,
        recent: Mutex::new(posted),
        times: Mutex::default(),
        failures: Mutex::default(),
        answered: AtomicUsize::new(0),
    });

    println!("{rate} requests a second for {seconds} s by {people} people…");
    let (halfway, took) = drive(&run, &server, &delivered, rate, seconds).await;
    print_table(&run, took);
    let end = memory(&server);
    let halfway = halfway.unwrap_or(end);
    println!(
        "server resident memory: {:.1} MB after start, {:.1} MB halfway, {:.1} MB at the end ({:.1} MB at most); anonymous {:.1} → {:.1} → {:.1} MB",
        idle.0,
        halfway.0,
        end.0,
        server.memory_mb("VmHWM"),
        idle.1,
        halfway.1,
        end.1
    );
    println!(
        "deliveries received by the other instance: {}",
        delivered.load(Ordering::Relaxed)
    );
    drop(server);
    drop(database);
}
