//! Follows and community membership across real instances on localhost ports, with signed
//! deliveries through the persistent queue.

mod common;

use common::{backends, eventually, Backend, TestServer};
use guild::federation::resolve;
use guild::service::follows;
use guild::store::{accounts::Account, follows as follow_store};

/// The stored account `acct` as seen from `server`, resolving remote ones.
async fn account(server: &TestServer, acct: &str) -> Account {
    resolve::account(&server.ctx().await, acct)
        .await
        .unwrap_or_else(|e| panic!("resolve {acct} on {}: {e}", server.domain))
}

/// The follow state of `who` → `whom` on `server`, if any.
async fn follow_state(server: &TestServer, who: &str, whom: &str) -> Option<String> {
    let (who, whom) = (account(server, who).await, account(server, whom).await);
    server
        .with_db(move |conn, _| follow_store::between(conn, who.id, whom.id))
        .await
        .map(|f| f.state.to_string())
}

async fn follow(server: &TestServer, who: &str, whom: &str) {
    let (who, whom) = (account(server, who).await, account(server, whom).await);
    server
        .with_db(move |conn, config| follows::follow(conn, config, &who, &whom).map(|_| ()))
        .await;
}

async fn unfollow(server: &TestServer, who: &str, whom: &str) {
    let (who, whom) = (account(server, who).await, account(server, whom).await);
    server
        .with_db(move |conn, config| follows::unfollow(conn, config, &who, &whom))
        .await;
}

async fn wait_state(server: &TestServer, who: &str, whom: &str, want: Option<&str>) {
    eventually(
        &format!("{who} → {whom} is {want:?} on {}", server.domain),
        || async { follow_state(server, who, whom).await.as_deref() == want },
    )
    .await;
}

#[actix_web::test]
async fn follows_and_membership_across_instances() {
    for backend in backends() {
        eprintln!(
            "follows_and_membership_across_instances with alpha on {}",
            backend.name()
        );
        across_instances(&backend).await;
    }
}

async fn across_instances(backend: &Backend) {
    let alpha = TestServer::start(backend).await;
    let beta = TestServer::start(&Backend::Sqlite).await;
    let mut gamma = TestServer::start(&Backend::Sqlite).await;
    alpha.create_user("alice", false).await;
    beta.create_user("bob", false).await;
    beta.create_user("dave", false).await;
    beta.create_community("rust", "bob").await;
    gamma.create_user("carol", false).await;
    beta.with_db(|conn, _| {
        use diesel::prelude::*;
        use guild::db::schema::accounts::dsl::*;
        diesel::update(accounts.filter(username.eq("dave")))
            .set(locked.eq(true))
            .execute(conn)?;
        Ok(())
    })
    .await;
    let (bob, dave, rust, carol) = (
        format!("bob@{}", beta.domain),
        format!("dave@{}", beta.domain),
        format!("rust@{}", beta.domain),
        format!("carol@{}", gamma.domain),
    );
    let alice_at_alpha = format!("alice@{}", alpha.domain);
    let carol_at_gamma = format!("carol@{}", gamma.domain);

    // An open account: the follow is accepted on both sides, and counted.
    follow(&alpha, "alice", &bob).await;
    wait_state(&alpha, "alice", &bob, Some("accepted")).await;
    assert_eq!(
        follow_state(&beta, &alice_at_alpha, "bob").await.as_deref(),
        Some("accepted")
    );
    assert_eq!(account(&beta, "bob").await.followers_count, 1);
    assert_eq!(account(&alpha, "alice").await.following_count, 1);
    let followers = beta
        .get_json(
            "/users/bob/followers?page=true",
            "application/activity+json",
        )
        .await;
    assert_eq!(
        followers["orderedItems"],
        serde_json::json!([alpha.url("/users/alice")])
    );
    let root = beta
        .get_json("/users/bob/followers", "application/activity+json")
        .await;
    assert_eq!(root["totalItems"], 1);

    // A locked account: pending until dave decides.
    follow(&gamma, "carol", &dave).await;
    eventually("carol's request reaches beta", || async {
        follow_state(&beta, &carol_at_gamma, "dave").await.is_some()
    })
    .await;
    assert_eq!(
        follow_state(&gamma, "carol", &dave).await.as_deref(),
        Some("pending")
    );
    assert_eq!(
        follow_state(&beta, &carol_at_gamma, "dave")
            .await
            .as_deref(),
        Some("pending")
    );
    let (dave_row, carol_row) = (
        account(&beta, "dave").await,
        account(&beta, &carol_at_gamma).await,
    );
    beta.with_db(move |conn, config| {
        follows::decide_request(conn, config, &dave_row, &carol_row, true)
    })
    .await;
    wait_state(&gamma, "carol", &dave, Some("accepted")).await;

    // Joining a remote community.
    follow(&alpha, "alice", &rust).await;
    wait_state(&alpha, "alice", &rust, Some("accepted")).await;
    assert!(account(&alpha, &rust).await.is_group());
    let members = beta
        .get_json("/c/rust/followers", "application/activity+json")
        .await;
    assert_eq!(members["totalItems"], 1);

    // Unfollow and leave propagate.
    unfollow(&alpha, "alice", &bob).await;
    unfollow(&alpha, "alice", &rust).await;
    eventually("the unfollow and the leave reach beta", || async {
        follow_state(&beta, &alice_at_alpha, "bob").await.is_none()
            && follow_state(&beta, &alice_at_alpha, "rust").await.is_none()
    })
    .await;
    assert_eq!(account(&beta, "bob").await.followers_count, 0);

    // A peer that is down gets the activity when it is back.
    let _ = account(&alpha, &carol).await;
    gamma.pause().await;
    follow(&alpha, "alice", &carol).await;
    eventually("a delivery attempt to the dead peer fails", || async {
        alpha
            .with_db(|conn, _| guild::store::deliveries::counts(conn))
            .await
            .0
            > 0
    })
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert_eq!(
        follow_state(&alpha, "alice", &carol).await.as_deref(),
        Some("pending")
    );
    let gamma_domain = gamma.domain.clone();
    let failing = alpha
        .with_db(move |conn, _| guild::store::instances::failing_since(conn, &gamma_domain))
        .await;
    assert!(failing.is_some(), "a failing instance is marked");
    gamma.resume().await;
    wait_state(&alpha, "alice", &carol, Some("accepted")).await;
    let gamma_domain = gamma.domain.clone();
    eventually("the mark is cleared once the instance answers", || async {
        let domain = gamma_domain.clone();
        alpha
            .with_db(move |conn, _| guild::store::instances::failing_since(conn, &domain))
            .await
            .is_none()
    })
    .await;
    assert_eq!(
        follow_state(&gamma, &alice_at_alpha, "carol")
            .await
            .as_deref(),
        Some("accepted")
    );

    alpha.stop().await;
    beta.stop().await;
    gamma.stop().await;
}
