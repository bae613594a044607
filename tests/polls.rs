//! Polls between two instances: made with a post, voted in here and from the other server
//! (the vote travels as Mastodon's `Create(Note)` with the option's name, the counts come
//! back as `Update(Question)`), one vote per person, hidden totals, and the end told to
//! everyone who voted.

mod common;

use common::{api::Client, arrived, backends, eventually, Backend, TestServer};
use reqwest::Method;
use serde_json::{json, Value};

const PASSWORD_GRANT: (&str, &str) = ("GUILD_OAUTH_PASSWORD_GRANT", "true");

#[actix_web::test]
async fn polls_between_instances() {
    for backend in backends() {
        eprintln!("polls_between_instances on {}", backend.name());
        polls_on(&backend).await;
    }
}

fn counts(poll: &Value) -> Vec<Value> {
    poll["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["votes_count"].clone())
        .collect()
}

/// Make `server`'s poll of status `id` end now, and deal with it as the minute task does.
async fn end_now(server: &TestServer, id: i64) {
    server
        .with_db(move |conn, config| {
            use diesel::prelude::*;
            use guild::db::schema::polls::dsl::*;
            let past = guild::time::now() - chrono::Duration::seconds(1);
            diesel::update(polls.find(id))
                .set(expires_at.eq(Some(past)))
                .execute(conn)?;
            guild::service::polls::end_due(conn, config).map(|_| ())
        })
        .await;
}

/// Send the counts of polls that took votes, as the minute task does.
async fn send_counts(server: &TestServer) {
    server
        .with_db(|conn, config| {
            guild::service::polls::send_changed_counts(conn, config).map(|_| ())
        })
        .await;
}

async fn poll_notified(client: &Client<'_>, status_id: &str) -> bool {
    let notifications = client.get("/api/v1/notifications").await;
    notifications
        .as_array()
        .unwrap()
        .iter()
        .any(|n| n["type"] == "poll" && n["status"]["id"] == status_id)
}

async fn polls_on(backend: &Backend) {
    let alpha = TestServer::start_with(backend, &[PASSWORD_GRANT]).await;
    let beta = TestServer::start_with(&Backend::Sqlite, &[PASSWORD_GRANT]).await;
    alpha.create_user("ann", false).await;
    alpha.create_user("carol", false).await;
    beta.create_user("bob", false).await;
    let ann = Client::password(&alpha, "ann").await;
    let carol = Client::password(&alpha, "carol").await;
    let bob = Client::password(&beta, "bob").await;

    // Too few options, or too short a poll, are refused.
    let bad = json!({"status": "?", "poll": {"options": ["only"], "expires_in": 600}});
    assert_eq!(
        ann.status_of(Method::POST, "/api/v1/statuses", Some(bad))
            .await,
        422
    );
    let short = json!({"status": "?", "poll": {"options": ["a", "b"], "expires_in": 5}});
    assert_eq!(
        ann.status_of(Method::POST, "/api/v1/statuses", Some(short))
            .await,
        422
    );

    let post = ann
        .post(
            "/api/v1/statuses",
            json!({"status": format!("@bob@{} Which day for the retro?", beta.domain),
                   "poll": {"options": ["Monday", "Tuesday", "Friday"], "expires_in": 3600}}),
        )
        .await;
    let poll_id = post["poll"]["id"].as_str().unwrap().to_string();
    assert_eq!(post["poll"]["multiple"], false);
    assert_eq!(counts(&post["poll"]), vec![json!(0), json!(0), json!(0)]);

    // Carol votes here; a second vote, a choice that is not there, or two choices where one
    // is allowed, are refused.
    let votes = format!("/api/v1/polls/{poll_id}/votes");
    let voted = carol.post(&votes, json!({"choices": ["0"]})).await;
    assert_eq!(
        (voted["voted"].clone(), voted["own_votes"].clone()),
        (json!(true), json!([0]))
    );
    assert_eq!(
        carol
            .status_of(Method::POST, &votes, Some(json!({"choices": ["1"]})))
            .await,
        422
    );
    assert_eq!(
        ann.status_of(Method::POST, &votes, Some(json!({"choices": ["7"]})))
            .await,
        422
    );
    assert_eq!(
        ann.status_of(Method::POST, &votes, Some(json!({"choices": ["0", "1"]})))
            .await,
        422
    );

    // Bob votes from beta: alpha counts it and sends the counts back.
    let uri = post["uri"].as_str().unwrap().to_string();
    let on_beta = arrived(&beta, &uri).await;
    send_counts(&alpha).await;
    eventually("beta has carol's vote in its count", || async {
        let theirs = bob.get(&format!("/api/v1/polls/{on_beta}")).await;
        counts(&theirs) == vec![json!(1), json!(0), json!(0)]
    })
    .await;
    bob.post(
        &format!("/api/v1/polls/{on_beta}/votes"),
        json!({"choices": ["2"]}),
    )
    .await;
    eventually("alpha counts bob's vote", || async {
        let poll = ann.get(&format!("/api/v1/polls/{poll_id}")).await;
        counts(&poll) == vec![json!(1), json!(0), json!(1)] && poll["voters_count"] == 2
    })
    .await;
    send_counts(&alpha).await;
    let seen_by_bob = bob.get(&format!("/api/v1/polls/{on_beta}")).await;
    assert_eq!(seen_by_bob["own_votes"], json!([2]));
    eventually("beta has alpha's count", || async {
        let poll = bob.get(&format!("/api/v1/polls/{on_beta}")).await;
        poll["voters_count"] == 2 && counts(&poll) == vec![json!(1), json!(0), json!(1)]
    })
    .await;

    // The post's page shows the counts.
    let (_, page) = alpha
        .get(&format!("/statuses/{poll_id}"), "text/html")
        .await;
    assert!(page.contains("Friday · 1 (50%)"), "{page}");
    assert!(page.contains("2 voted"), "{page}");

    // Hidden totals are hidden from all but the author until the end.
    let hidden = ann
        .post(
            "/api/v1/statuses",
            json!({"status": "Secret ballot", "poll": {"options": ["yes", "no"], "expires_in": 600,
                   "hide_totals": true, "multiple": true}}),
        )
        .await;
    let hidden_id = hidden["poll"]["id"].as_str().unwrap().to_string();
    let both = carol
        .post(
            &format!("/api/v1/polls/{hidden_id}/votes"),
            json!({"choices": ["0", "1"]}),
        )
        .await;
    assert_eq!(counts(&both), vec![Value::Null, Value::Null]);
    let by_author = ann.get(&format!("/api/v1/polls/{hidden_id}")).await;
    assert_eq!(counts(&by_author), vec![json!(1), json!(1)]);

    // The end: the author and the voters here are told, the final count reaches beta, and
    // bob is told there; no one votes any more.
    let status_id: i64 = poll_id.parse().unwrap();
    end_now(&alpha, status_id).await;
    assert!(poll_notified(&ann, &poll_id).await, "the author is told");
    assert!(poll_notified(&carol, &poll_id).await, "a voter is told");
    eventually("beta learns the poll ended", || async {
        bob.get(&format!("/api/v1/polls/{on_beta}")).await["expired"] == true
    })
    .await;
    beta.with_db(|conn, config| guild::service::polls::end_due(conn, config).map(|_| ()))
        .await;
    assert!(
        poll_notified(&bob, &on_beta.to_string()).await,
        "a remote voter is told"
    );
    assert_eq!(
        ann.status_of(Method::POST, &votes, Some(json!({"choices": ["1"]})))
            .await,
        422
    );

    alpha.stop().await;
    beta.stop().await;
}
