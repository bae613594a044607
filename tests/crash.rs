//! A server killed with SIGKILL in the middle of a fan-out loses nothing: after a restart,
//! every follower's instance receives every post.

mod common;

use common::{eventually, follow_accepted, public_post, Backend, TestServer};
use guild::{config::Config, db::Db, service, store};
use std::process::{Child, Command, Stdio};

const POSTS: usize = 20;

fn start_alpha(dir: &std::path::Path, env: &[(String, String)]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_guild"))
        .current_dir(dir)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start guild")
}

async fn wait_until_serving(base: &str) {
    let client = reqwest::Client::new();
    eventually("alpha answers", || async {
        client
            .get(format!("{base}/healthz"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
    })
    .await;
}

#[actix_web::test]
async fn sigkill_during_fan_out_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let domain = format!("localhost:{port}");
    let base = format!("http://{domain}");
    let data_dir = dir.path().join("data").display().to_string();
    let env: Vec<(String, String)> = [
        ("GUILD_DOMAIN", domain.as_str()),
        ("GUILD_DATA_DIR", data_dir.as_str()),
        ("GUILD_BIND", &format!("127.0.0.1:{port}")),
        ("GUILD_INSECURE_FEDERATION", "true"),
        ("GUILD_DELIVERY_FIRST_RETRY_SECONDS", "1"),
        ("RUST_LOG", "warn"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let config = Config::from_sources(None, &env).unwrap();
    let status = Command::new(env!("CARGO_BIN_EXE_guild"))
        .current_dir(dir.path())
        .envs(env.iter().map(|(k, v)| (k, v)))
        .args([
            "user",
            "create",
            "alice",
            "--email",
            "alice@example.org",
            "--password",
            "password123",
        ])
        .output()
        .unwrap();
    assert!(status.status.success(), "{status:?}");
    let mut alpha = start_alpha(dir.path(), &env);
    wait_until_serving(&base).await;

    // Three instances follow alice.
    let mut followers = Vec::new();
    for name in ["beta", "gamma", "delta"] {
        let server = TestServer::start(&Backend::Sqlite).await;
        server.create_user(name, false).await;
        let who = guild::federation::resolve::account(&server.ctx().await, name)
            .await
            .unwrap();
        let alice =
            guild::federation::resolve::account(&server.ctx().await, &format!("alice@{domain}"))
                .await
                .unwrap();
        follow_accepted(&server, who, alice).await;
        followers.push(server);
    }

    // Alice posts many times (written to alpha's database as its own requests would be),
    // and alpha is killed while it is sending.
    let db = Db::connect(&config.database_url, 1).unwrap();
    let mut ap_ids = Vec::new();
    {
        let mut conn = db.conn().unwrap();
        let alice = store::accounts::local_by_username(&mut conn, "alice")
            .unwrap()
            .unwrap();
        for n in 0..POSTS {
            let post = public_post(&format!("post {n}"));
            ap_ids.push(
                service::statuses::create(&mut conn, &config, &alice, post)
                    .unwrap()
                    .ap_id,
            );
        }
    }
    // Kill as soon as the fan-out is under way: some delivered, most not.
    let started = std::time::Instant::now();
    while store::deliveries::counts(&mut db.conn().unwrap())
        .unwrap()
        .1
        < 6
        && started.elapsed() < std::time::Duration::from_secs(10)
    {
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
    alpha.kill().unwrap(); // SIGKILL
    alpha.wait().unwrap();
    let (queued, delivered, _) = store::deliveries::counts(&mut db.conn().unwrap()).unwrap();
    eprintln!("killed with {queued} deliveries queued and {delivered} delivered");

    let mut alpha = start_alpha(dir.path(), &env);
    wait_until_serving(&base).await;
    for server in &followers {
        for ap_id in &ap_ids {
            let ap_id = ap_id.clone();
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(90);
            loop {
                let id = ap_id.clone();
                if server
                    .with_db(move |conn, _| store::statuses::by_ap_id(conn, &id))
                    .await
                    .is_some()
                {
                    break;
                }
                assert!(
                    std::time::Instant::now() < deadline,
                    "{ap_id} never reached {}",
                    server.domain
                );
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            }
        }
    }
    // Receivers may have a post before alpha has written down that it was delivered: rows
    // the killed process had claimed come due again only when their 30-second lease ends.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(90);
    while store::deliveries::counts(&mut db.conn().unwrap())
        .unwrap()
        .0
        > 0
    {
        assert!(
            std::time::Instant::now() < deadline,
            "alpha's queue never emptied"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert_eq!(
        store::deliveries::counts(&mut db.conn().unwrap())
            .unwrap()
            .2,
        0,
        "nothing failed"
    );
    alpha.kill().unwrap();
    alpha.wait().unwrap();
    for server in followers {
        server.stop().await;
    }
}
