//! `guild db copy --to postgres://…`: a populated SQLite instance copied into PostgreSQL and
//! served from there, answering with the same timelines; a second copy into the now full
//! database is refused and changes nothing.

mod common;

use common::{backends, Backend, PgDatabase, TestServer};
use serde_json::{json, Value};

struct Client {
    base: String,
    http: reqwest::Client,
    token: String,
}

impl Client {
    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let body = response.text().await.unwrap();
        assert!(status.is_success(), "{path}: {status} {body}");
        serde_json::from_str(&body).unwrap()
    }

    async fn get(&self, path: &str) -> Value {
        self.call(reqwest::Method::GET, path, None).await
    }

    async fn post(&self, path: &str, body: Value) -> Value {
        self.call(reqwest::Method::POST, path, Some(body)).await
    }
}

async fn sign_in(server: &TestServer, name: &str) -> Client {
    let http = &server.http;
    let app: Value = http
        .post(server.url("/api/v1/apps"))
        .json(&json!({"client_name": "copy", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob", "scopes": "read write follow"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token: Value = http
        .post(server.url("/oauth/token"))
        .json(&json!({"grant_type": "password", "client_id": app["client_id"], "client_secret": app["client_secret"], "username": name, "password": "password123", "scope": "read write follow"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = token["access_token"].as_str().expect("a token").to_string();
    Client {
        base: server.base.clone(),
        http: server.http.clone(),
        token,
    }
}

/// What people see: the pages compared before and after the move.
async fn views(alice: &Client, bob: &Client, alice_id: &str, thread: &str) -> Vec<Value> {
    vec![
        alice.get("/api/v1/timelines/home").await,
        bob.get("/api/v1/timelines/home").await,
        alice.get("/api/v1/notifications").await,
        bob.get(&format!("/api/v1/accounts/{alice_id}/statuses"))
            .await,
        bob.get(&format!("/api/v1/statuses/{thread}/context")).await,
        alice.get("/api/v1/timelines/public?local=true").await,
        alice.get("/api/v1/accounts/verify_credentials").await,
    ]
}

#[actix_web::test]
async fn a_sqlite_instance_moves_to_postgresql() {
    let Some(Backend::Postgres(admin_url)) = backends().pop() else {
        eprintln!("*** db copy SKIPPED: it needs PostgreSQL (GUILD_TEST_DATABASE_URL) ***");
        return;
    };
    let target = PgDatabase::create(&admin_url);
    let mut server =
        TestServer::start_with(&Backend::Sqlite, &[("GUILD_OAUTH_PASSWORD_GRANT", "true")]).await;
    server.create_user("alice", false).await;
    server.create_user("bob", false).await;
    server.create_community("practice", "alice").await;
    let (alice, bob) = (
        sign_in(&server, "alice").await,
        sign_in(&server, "bob").await,
    );

    // Posts of every kind, a thread, a poll, a follow, a favourite and a boost (a row that
    // refers to another of its own table).
    let alice_id = alice.get("/api/v1/accounts/verify_credentials").await["id"].clone();
    let alice_id = alice_id.as_str().unwrap().to_string();
    bob.post(&format!("/api/v1/accounts/{alice_id}/follow"), json!({}))
        .await;
    let thread = alice
        .post(
            "/api/v1/statuses",
            json!({"status": "How do we review #rust code?"}),
        )
        .await;
    let thread_id = thread["id"].as_str().unwrap().to_string();
    alice
        .post(
            "/api/v1/statuses",
            json!({"status": "Followers only", "visibility": "private"}),
        )
        .await;
    alice
        .post(
            "/api/v1/statuses",
            json!({"status": "Pick one", "poll": {"options": ["a", "b"], "expires_in": 3600}}),
        )
        .await;
    bob.post(
        "/api/v1/statuses",
        json!({"status": "@alice in pairs", "in_reply_to_id": thread_id}),
    )
    .await;
    bob.post(
        &format!("/api/v1/statuses/{thread_id}/favourite"),
        json!({}),
    )
    .await;
    bob.post(&format!("/api/v1/statuses/{thread_id}/reblog"), json!({}))
        .await;
    let before = views(&alice, &bob, &alice_id, &thread_id).await;
    assert_eq!(before[0].as_array().unwrap().len(), 3, "{}", before[0]);

    // The operator stops Guild, copies, and starts it on PostgreSQL.
    server.pause().await;
    let config = server.state.config.clone();
    let copy = |to: String| {
        let config = config.clone();
        std::process::Command::new(env!("CARGO_BIN_EXE_guild"))
            .args(["db", "copy", "--to", &to])
            .env_clear()
            .env("GUILD_DOMAIN", &config.domain)
            .env("GUILD_DATABASE_URL", &config.database_url)
            .env("GUILD_DATA_DIR", config.data_dir.display().to_string())
            .output()
            .unwrap()
    };
    let output = copy(target.url.clone());
    let said = String::from_utf8_lossy(&output.stdout).to_string()
        + &String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{said}");
    assert!(said.contains("every table's count matches"), "{said}");
    assert!(said.contains("statuses"), "{said}");

    server.resume_on(&target.url).await;
    assert_eq!(
        guild::db::Db::connect(&target.url, 1).unwrap().backend(),
        guild::db::Backend::Postgres
    );
    let after = views(&alice, &bob, &alice_id, &thread_id).await;
    for (before, after) in before.iter().zip(&after) {
        assert_eq!(before, after);
    }
    // Served from PostgreSQL, it goes on: a new post lands there.
    alice
        .post("/api/v1/statuses", json!({"status": "Now on PostgreSQL"}))
        .await;
    let home = alice.get("/api/v1/timelines/home").await;
    assert_eq!(home[0]["content"], "<p>Now on PostgreSQL</p>");

    // A second copy into the full database is refused and leaves it as it is.
    let output = copy(target.url.clone());
    let said = String::from_utf8_lossy(&output.stderr).to_string();
    assert!(!output.status.success());
    assert!(said.contains("the target database is not empty"), "{said}");
    assert_eq!(alice.get("/api/v1/timelines/home").await, home);
    server.stop().await;
}
