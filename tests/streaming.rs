//! The streaming API through raw clients: WebSocket (token in the header, the query or the
//! subprotocol) and server-sent events; every kind of event; the timelines' rules (followers-
//! only, direct, members-only, blocks, hide filters) on every stream; limits, revoked tokens;
//! and two nodes on one PostgreSQL database.

mod common;

use common::streams::{Got, Sse, TokenIn, Ws};
use common::{api::Client, backends, eventually, Backend, TestServer};
use serde_json::{json, Value};

const SETTINGS: &[(&str, &str)] = &[
    ("GUILD_OAUTH_PASSWORD_GRANT", "true"),
    ("GUILD_STREAMING_CONNECTIONS_PER_TOKEN", "4"),
];

/// A signed-in person with the app's credentials kept, so the token can be revoked.
struct Person<'a> {
    client: Client<'a>,
    app: Value,
}

impl Person<'_> {
    fn token(&self) -> &str {
        self.client.token.as_deref().unwrap()
    }
}

async fn sign_in<'a>(server: &'a TestServer, name: &str) -> Person<'a> {
    sign_in_for(server, name, "read write follow").await
}

/// `name` signed in with a token of `scope` only.
async fn sign_in_for<'a>(server: &'a TestServer, name: &str, scope: &str) -> Person<'a> {
    let anonymous = Client {
        server,
        token: None,
    };
    let app = anonymous
        .post(
            "/api/v1/apps",
            json!({"client_name": "streams", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob", "scopes": "read write follow"}),
        )
        .await;
    let token = anonymous
        .post("/oauth/token", json!({"grant_type": "password", "client_id": app["client_id"], "client_secret": app["client_secret"], "username": name, "password": "password123", "scope": scope}))
        .await;
    Person {
        client: Client {
            server,
            token: token["access_token"].as_str().map(str::to_string),
        },
        app,
    }
}

async fn post(person: &Person<'_>, body: Value) -> Value {
    person.client.post("/api/v1/statuses", body).await
}

fn content(got: &Got) -> String {
    let status = got.json();
    let status = match status.get("last_status") {
        Some(last) => last.clone(),
        None => status,
    };
    status["content"].as_str().unwrap_or_default().to_string()
}

/// The next `n` events, as (stream, event, content or payload).
async fn next_ws(ws: &mut Ws, n: usize) -> Vec<(String, String, String)> {
    let mut all = Vec::new();
    for _ in 0..n {
        let got = ws.next().await.expect("an event");
        let text = match got.event.as_str() {
            "update" | "status.update" => content(&got),
            _ => got.payload.clone(),
        };
        all.push((got.stream.join(" "), got.event, text));
    }
    all.sort();
    all
}

#[actix_web::test]
async fn streams_follow_the_timelines_rules() {
    for backend in backends() {
        eprintln!("streams_follow_the_timelines_rules on {}", backend.name());
        streams_on(&backend).await;
    }
}

async fn streams_on(backend: &Backend) {
    let alpha = TestServer::start_with(backend, SETTINGS).await;
    alpha.create_user("ann", true).await;
    alpha.create_user("bob", false).await;
    alpha.create_user("cat", false).await;
    let ann = sign_in(&alpha, "ann").await;
    let bob = sign_in(&alpha, "bob").await;
    let cat = sign_in(&alpha, "cat").await;
    let ann_id = ann.client.get("/api/v1/accounts/verify_credentials").await["id"].clone();
    bob.client
        .post(
            &format!("/api/v1/accounts/{}/follow", ann_id.as_str().unwrap()),
            json!({}),
        )
        .await;

    // The doors: health, and refusals that say why.
    let (status, health) = alpha.get("/api/v1/streaming/health", "*/*").await;
    assert_eq!((status, health.as_str()), (200, "OK"));
    assert_eq!(
        Sse::open(&alpha.base, "nonsense", "user").await.err(),
        Some(401)
    );
    assert_eq!(
        Sse::open(&alpha.base, bob.token(), "hashtag").await.err(),
        Some(400)
    );
    assert_eq!(
        Ws::open(&alpha, bob.token(), TokenIn::Query, "stream=public:nowhere")
            .await
            .err(),
        Some(400)
    );

    // Bob: one WebSocket, token in the header, three streams. Cat: the token as the
    // subprotocol (named back), and server-sent events.
    let mut bob_ws = Ws::open(&alpha, bob.token(), TokenIn::Header, "stream=user")
        .await
        .unwrap();
    bob_ws
        .send(json!({"type": "subscribe", "stream": "public:local"}))
        .await;
    bob_ws
        .send(json!({"type": "subscribe", "stream": "hashtag", "tag": "Rust"}))
        .await;
    bob_ws
        .send(json!({"type": "subscribe", "stream": "list"}))
        .await;
    let refused = bob_ws.next().await.unwrap();
    assert_eq!(
        refused.event, "error",
        "a list stream needs a list: {refused:?}"
    );
    let mut cat_ws = Ws::open(&alpha, cat.token(), TokenIn::Protocol, "stream=direct")
        .await
        .unwrap();
    assert_eq!(cat_ws.protocol.as_deref(), Some(cat.token()));
    let mut cat_user = Sse::open(&alpha.base, cat.token(), "user").await.unwrap();
    let mut cat_notes = Sse::open(&alpha.base, cat.token(), "user/notification")
        .await
        .unwrap();
    let mut cat_public = Sse::open(&alpha.base, cat.token(), "public").await.unwrap();

    // A public post with a tag: on each of bob's streams, and on cat's public one.
    let hello = post(&ann, json!({"status": "hello #rust"})).await;
    let hello_text = "<p>hello <a href=";
    let got = next_ws(&mut bob_ws, 3).await;
    let streams: Vec<&str> = got.iter().map(|(s, _, _)| s.as_str()).collect();
    assert_eq!(streams, ["hashtag rust", "public:local", "user"], "{got:?}");
    assert!(got
        .iter()
        .all(|(_, e, c)| e == "update" && c.starts_with(hello_text)));
    let public = cat_public.next().await.unwrap();
    assert_eq!(public.event, "update");
    assert_eq!(public.json()["id"], hello["id"]);

    // Followers-only: bob's home only. Direct to cat: her notification and conversation.
    let private = post(
        &ann,
        json!({"status": "for followers", "visibility": "private"}),
    )
    .await;
    assert_eq!(
        next_ws(&mut bob_ws, 1).await,
        [(
            "user".into(),
            "update".into(),
            "<p>for followers</p>".into()
        )]
    );
    let direct = post(
        &ann,
        json!({"status": "@cat just you", "visibility": "direct"}),
    )
    .await;
    for stream in [&mut cat_user, &mut cat_notes] {
        let note = stream.next().await.unwrap();
        assert_eq!(note.event, "notification");
        assert_eq!(note.json()["type"], "mention");
        assert_eq!(note.json()["status"]["id"], direct["id"]);
    }
    let conversation = cat_ws.next().await.unwrap();
    assert_eq!(
        (conversation.stream.join(" "), conversation.event.as_str()),
        ("direct".to_string(), "conversation")
    );
    assert_eq!(conversation.json()["last_status"]["id"], direct["id"]);

    // An edit: status.update wherever the post is shown.
    let hello_id = hello["id"].as_str().unwrap();
    let (status, _, _) = ann
        .client
        .call(
            reqwest::Method::PUT,
            &format!("/api/v1/statuses/{hello_id}"),
            Some(json!({"status": "hello again #rust"})),
        )
        .await;
    assert_eq!(status, 200);
    let got = next_ws(&mut bob_ws, 3).await;
    assert!(got.iter().all(|(_, e, _)| e == "status.update"), "{got:?}");
    assert_eq!(cat_public.next().await.unwrap().event, "status.update");

    // Deleting the followers-only post tells bob, who could see it, and not cat.
    let private_id = private["id"].as_str().unwrap();
    ann.client
        .call(
            reqwest::Method::DELETE,
            &format!("/api/v1/statuses/{private_id}"),
            None,
        )
        .await;
    let got = next_ws(&mut bob_ws, 3).await;
    assert!(
        got.iter().all(|(_, e, p)| e == "delete" && p == private_id),
        "{got:?}"
    );

    // A members-only community's post reaches no stream of those outside it.
    ann.client
        .post(
            "/api/v1/guild/communities",
            json!({"name": "inner", "visibility": "members", "membership_policy": "approval"}),
        )
        .await;
    let secret = post(&ann, json!({"status": "@inner the plan"})).await;
    assert_eq!(secret["visibility"], "private");
    let marker = post(&ann, json!({"status": "marker one"})).await;
    let public = cat_public.next().await.unwrap();
    assert_eq!(
        public.json()["id"],
        marker["id"],
        "cat saw nothing before the marker: {public:?}"
    );
    let got = next_ws(&mut bob_ws, 2).await;
    assert_eq!(
        got,
        [
            (
                "public:local".into(),
                "update".into(),
                "<p>marker one</p>".into()
            ),
            ("user".into(), "update".into(), "<p>marker one</p>".into()),
        ]
    );

    // A hide filter for public timelines: bob's apps are told, and the public stream hides
    // what it catches while his home stream still shows it.
    bob.client
        .post(
            "/api/v2/filters",
            json!({"title": "secrets", "context": ["public"], "filter_action": "hide", "keywords_attributes": [{"keyword": "classified"}]}),
        )
        .await;
    let changed = bob_ws.next().await.unwrap();
    assert_eq!(
        (changed.stream.join(" "), changed.event.as_str()),
        ("user".into(), "filters_changed")
    );
    post(&ann, json!({"status": "classified report"})).await;
    post(&ann, json!({"status": "marker two"})).await;
    let got = next_ws(&mut bob_ws, 3).await;
    assert_eq!(
        got,
        [
            (
                "public:local".into(),
                "update".into(),
                "<p>marker two</p>".into()
            ),
            (
                "user".into(),
                "update".into(),
                "<p>classified report</p>".into()
            ),
            ("user".into(), "update".into(), "<p>marker two</p>".into()),
        ]
    );

    // Cat blocks ann: ann's posts leave cat's streams.
    cat.client
        .post(
            &format!("/api/v1/accounts/{}/block", ann_id.as_str().unwrap()),
            json!({}),
        )
        .await;
    for _ in 0..2 {
        cat_public.next().await.unwrap(); // the two posts before the block
    }
    post(&ann, json!({"status": "after the block"})).await;
    let bobs = post(&bob, json!({"status": "bob's marker"})).await;
    let public = cat_public.next().await.unwrap();
    assert_eq!(public.json()["id"], bobs["id"], "{public:?}");
    let got = next_ws(&mut bob_ws, 4).await;
    assert!(got.iter().all(|(_, e, _)| e == "update"), "{got:?}");

    // A post into a community bob joined comes home once, as the community's boost; the
    // local public stream shows the post itself.
    let makers = ann
        .client
        .post("/api/v1/guild/communities", json!({"name": "makers"}))
        .await;
    let makers_id = makers["id"].as_str().unwrap();
    for member in [&bob, &cat] {
        member
            .client
            .post(&format!("/api/v1/accounts/{makers_id}/follow"), json!({}))
            .await;
        eventually("a member of makers", || async {
            let path = format!("/api/v1/accounts/relationships?id[]={makers_id}");
            member.client.get(&path).await[0]["following"] == true
        })
        .await;
    }
    let thread = post(&cat, json!({"status": "@makers what do we build next?"})).await;
    let mut got = Vec::new();
    for _ in 0..2 {
        got.push(bob_ws.next().await.unwrap());
    }
    got.sort_by_key(|g| g.stream.join(" "));
    assert_eq!(got[0].stream, ["public:local"]);
    assert_eq!(got[0].json()["id"], thread["id"]);
    assert_eq!(got[1].stream, ["user"]);
    assert_eq!(got[1].json()["reblog"]["id"], thread["id"], "{:?}", got[1]);
    assert_eq!(got[1].json()["account"]["id"], makers["id"]);
    assert_eq!(cat_public.next().await.unwrap().json()["id"], thread["id"]);
    // Its edit reaches the same streams, although home showed it as the boost.
    let thread_id = thread["id"].as_str().unwrap();
    let (status, _, _) = cat
        .client
        .call(
            reqwest::Method::PUT,
            &format!("/api/v1/statuses/{thread_id}"),
            Some(json!({"status": "@makers what do we build this year?"})),
        )
        .await;
    assert_eq!(status, 200);
    let got = next_ws(&mut bob_ws, 2).await;
    let streams: Vec<(&str, &str)> = got
        .iter()
        .map(|(s, e, _)| (s.as_str(), e.as_str()))
        .collect();
    assert_eq!(
        streams,
        [("public:local", "status.update"), ("user", "status.update")]
    );
    assert_eq!(cat_public.next().await.unwrap().event, "status.update");

    // One of bob's lists: its members' posts, under the list's id. (The refused subscription
    // after it answers only once the first is in place.)
    let list = bob
        .client
        .post("/api/v1/lists", json!({"title": "work"}))
        .await;
    let list_id = list["id"].as_str().unwrap().to_string();
    bob.client
        .post(
            &format!("/api/v1/lists/{list_id}/accounts"),
            json!({"account_ids": [ann_id]}),
        )
        .await;
    bob_ws
        .send(json!({"type": "subscribe", "stream": "list", "list": list_id}))
        .await;
    bob_ws
        .send(json!({"type": "subscribe", "stream": "hashtag:local"}))
        .await;
    assert_eq!(bob_ws.next().await.unwrap().event, "error");
    post(&ann, json!({"status": "for the list"})).await;
    let got = next_ws(&mut bob_ws, 3).await;
    let streams: Vec<&str> = got.iter().map(|(s, _, _)| s.as_str()).collect();
    let on_list = format!("list {list_id}");
    assert_eq!(
        streams,
        [on_list.as_str(), "public:local", "user"],
        "{got:?}"
    );

    // Four connections per token here: a fifth is refused.
    let _second = Sse::open(&alpha.base, bob.token(), "public").await.unwrap();
    let _third = Sse::open(&alpha.base, bob.token(), "public").await.unwrap();
    let _fourth = Sse::open(&alpha.base, bob.token(), "public").await.unwrap();
    assert_eq!(
        Sse::open(&alpha.base, bob.token(), "public").await.err(),
        Some(429)
    );

    // Revoking the token closes its streams.
    let anonymous = Client {
        server: &alpha,
        token: None,
    };
    anonymous
        .post(
            "/oauth/revoke",
            json!({"client_id": bob.app["client_id"], "client_secret": bob.app["client_secret"], "token": bob.token()}),
        )
        .await;
    loop {
        match bob_ws.next().await {
            None => break,
            Some(got) => assert_ne!(got.event, "error"),
        }
    }
    drop((cat_ws, cat_user, cat_notes));
    eventually("the streams are let go", || async {
        alpha.get("/api/v1/streaming/health", "*/*").await.0 == 200
    })
    .await;
    alpha.stop().await;
}

#[actix_web::test]
async fn streams_are_bounded_and_cover_every_kind_of_post() {
    for backend in backends() {
        eprintln!(
            "streams_are_bounded_and_cover_every_kind_of_post on {}",
            backend.name()
        );
        bounds_on(&backend).await;
    }
}

async fn bounds_on(backend: &Backend) {
    let settings = [
        SETTINGS,
        &[("GUILD_STREAMING_CONNECTIONS_PER_ACCOUNT", "3")],
    ]
    .concat();
    let alpha = TestServer::start_with(backend, &settings).await;
    let beta = TestServer::start_with(backend, SETTINGS).await;
    for name in ["ann", "bob", "cat", "dan"] {
        alpha.create_user(name, false).await;
    }
    beta.create_user("rem", false).await;
    let ann = sign_in(&alpha, "ann").await;
    let bob = sign_in(&alpha, "bob").await;
    let cat = sign_in(&alpha, "cat").await;
    let dan = sign_in(&alpha, "dan").await;
    let rem = sign_in(&beta, "rem").await;

    // A notification goes only to connections whose own token may read notifications.
    let ann_reader = sign_in_for(&alpha, "ann", "read:statuses").await;
    let mut full = Sse::open(&alpha.base, ann.token(), "user").await.unwrap();
    let mut limited = Sse::open(&alpha.base, ann_reader.token(), "user")
        .await
        .unwrap();
    post(&bob, json!({"status": "@ann a question"})).await;
    let note = full.next().await.unwrap();
    assert_eq!(
        (note.event.as_str(), note.json()["type"].as_str()),
        ("notification", Some("mention"))
    );
    let own = post(&ann, json!({"status": "ann's marker"})).await;
    assert_eq!(full.next().await.unwrap().json()["id"], own["id"]);
    let first = limited.next().await.unwrap();
    assert_eq!(
        (first.event.as_str(), &first.json()["id"]),
        ("update", &own["id"]),
        "{first:?}"
    );

    // Three connections per person here, through all their tokens: a fourth is refused.
    let _third = Sse::open(&alpha.base, ann_reader.token(), "public")
        .await
        .unwrap();
    assert_eq!(
        Sse::open(&alpha.base, ann.token(), "public").await.err(),
        Some(429)
    );
    drop((full, limited, _third));

    // Undoing a boost is told to those who could see what it boosted, and to nobody else:
    // ann blocks dan, so dan learns nothing of a boost of her post.
    let dan_id = dan.client.get("/api/v1/accounts/verify_credentials").await["id"].clone();
    ann.client
        .post(
            &format!("/api/v1/accounts/{}/block", dan_id.as_str().unwrap()),
            json!({}),
        )
        .await;
    let mut dan_public = Sse::open(&alpha.base, dan.token(), "public").await.unwrap();
    let mut cat_public = Sse::open(&alpha.base, cat.token(), "public").await.unwrap();
    let boosted = post(&ann, json!({"status": "worth a boost"})).await;
    assert_eq!(cat_public.next().await.unwrap().json()["id"], boosted["id"]);
    let boosted_id = boosted["id"].as_str().unwrap();
    let boost = bob
        .client
        .post(&format!("/api/v1/statuses/{boosted_id}/reblog"), json!({}))
        .await;
    bob.client
        .post(
            &format!("/api/v1/statuses/{boosted_id}/unreblog"),
            json!({}),
        )
        .await;
    let deleted = cat_public.next().await.unwrap();
    assert_eq!(
        (deleted.event.as_str(), &json!(deleted.payload)),
        ("delete", &boost["id"])
    );
    let marker = post(&bob, json!({"status": "bob's marker"})).await;
    let first = dan_public.next().await.unwrap();
    assert_eq!(
        (first.event.as_str(), &first.json()["id"]),
        ("update", &marker["id"]),
        "{first:?}"
    );
    drop((dan_public, cat_public));

    // The less common streams: remote posts, posts with media, a tag's local posts.
    let acct = format!("rem@{}", beta.domain);
    let rem_here = guild::federation::resolve::account(&alpha.ctx().await, &acct)
        .await
        .unwrap();
    let cat_here = alpha
        .with_db(|conn, _| Ok(guild::store::accounts::local_by_username(conn, "cat")?.unwrap()))
        .await;
    common::follow_accepted(&alpha, cat_here, rem_here).await;
    let mut ws = Ws::open(&alpha, cat.token(), TokenIn::Query, "stream=public:remote")
        .await
        .unwrap();
    ws.send(json!({"type": "subscribe", "stream": "public:media"}))
        .await;
    ws.send(json!({"type": "subscribe", "stream": "hashtag:local", "tag": "news"}))
        .await;
    // The subscriptions are in place once a refused one after them answers.
    ws.send(json!({"type": "subscribe", "stream": "list", "list": "0"}))
        .await;
    assert_eq!(ws.next().await.unwrap().event, "error");
    post(&rem, json!({"status": "#news from afar"})).await;
    let remote = ws.next().await.unwrap();
    assert_eq!(remote.stream, ["public:remote"], "{remote:?}");
    assert!(content(&remote).contains("from afar"), "{remote:?}");
    let local = post(&ann, json!({"status": "#news at home"})).await;
    let (status, upload) = ann
        .client
        .multipart(
            "/api/v2/media",
            &[("file", Some("photo.jpg"), &common::photo())],
        )
        .await;
    assert_eq!(status, 200, "{upload}");
    let pictured = post(
        &ann,
        json!({"status": "a picture", "media_ids": [upload["id"]]}),
    )
    .await;
    let mut got = vec![ws.next().await.unwrap(), ws.next().await.unwrap()];
    got.sort_by_key(|g| g.stream.join(" "));
    assert_eq!(got[0].stream, ["hashtag:local", "news"], "{got:?}");
    assert_eq!(got[0].json()["id"], local["id"]);
    assert_eq!(got[1].stream, ["public:media"], "{got:?}");
    assert_eq!(got[1].json()["id"], pictured["id"]);

    // A connection follows at most 64 streams.
    for n in 0..64 {
        ws.send(json!({"type": "subscribe", "stream": "hashtag", "tag": format!("t{n}")}))
            .await;
    }
    let refused = ws.next().await.unwrap();
    assert_eq!(
        (refused.event.as_str(), refused.json()["status"].as_u64()),
        ("error", Some(422)),
        "{refused:?}"
    );
    alpha.stop().await;
    beta.stop().await;
}

/// Two `guild serve` processes on one PostgreSQL database: a person streaming from one sees
/// what is posted through the other.
#[actix_web::test]
async fn two_nodes_share_events_through_postgresql() {
    let Some(Backend::Postgres(admin)) = backends().into_iter().nth(1) else {
        eprintln!("two_nodes_share_events_through_postgresql: skipped, no PostgreSQL");
        return;
    };
    let first = TestServer::start_with(&Backend::Postgres(admin), SETTINGS).await;
    first.create_user("ann", false).await;
    first.create_user("bob", false).await;
    let ann = sign_in(&first, "ann").await;
    let bob = sign_in(&first, "bob").await;
    let database_url = first.state.config.database_url.clone();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let data = tempfile::tempdir().unwrap();
    let second = std::process::Command::new(env!("CARGO_BIN_EXE_guild"))
        .env("GUILD_DOMAIN", &first.domain)
        .env("GUILD_BIND", format!("127.0.0.1:{port}"))
        .env("GUILD_DATABASE_URL", &database_url)
        .env("GUILD_DATA_DIR", data.path())
        .env("GUILD_INSECURE_FEDERATION", "true")
        // Its warnings show in the test's output, beside the first node's.
        .env("RUST_LOG", "warn")
        .spawn()
        .expect("start a second node");
    // Stopped however the test ends, so a failure leaves no node behind.
    let _second = Stopped(second);
    let second_base = format!("http://127.0.0.1:{port}");
    eventually("the second node serves", || async {
        reqwest::get(format!("{second_base}/api/v1/streaming/health"))
            .await
            .is_ok_and(|r| r.status().is_success())
    })
    .await;
    let mut on_second = Sse::open(&second_base, bob.token(), "public/local")
        .await
        .unwrap();
    let posted = post(&ann, json!({"status": "from the first node"})).await;
    let got = on_second.next().await.unwrap();
    assert_eq!(got.event, "update");
    assert_eq!(got.json()["id"], posted["id"]);
    first.stop().await;
}

/// A child process killed when dropped.
struct Stopped(std::process::Child);

impl Drop for Stopped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
