//! Federation policy for organisations: an allowlisted private network, and a suspended
//! domain, enforced for inbound activities, outbound deliveries and fetches.

mod common;

use common::{backends, eventually, public_post, Backend, TestServer};
use guild::domain::DomainPolicy;
use guild::federation::resolve;
use guild::service::{follows, policy, statuses};
use guild::store::{accounts::Account, follows as follow_store, statuses as status_store};

async fn account(server: &TestServer, acct: &str) -> Result<Account, guild::error::Error> {
    resolve::account(&server.ctx().await, acct).await
}

async fn follow(server: &TestServer, who: &str, whom: &str) {
    let (who, whom) = (
        account(server, who).await.unwrap(),
        account(server, whom).await.unwrap(),
    );
    server
        .with_db(move |conn, config| follows::follow(conn, config, &who, &whom).map(|_| ()))
        .await;
}

async fn state(server: &TestServer, who: &str, whom: &str) -> Option<String> {
    let (who, whom) = (
        account(server, who).await.ok()?,
        account(server, whom).await.ok()?,
    );
    server
        .with_db(move |conn, _| follow_store::between(conn, who.id, whom.id))
        .await
        .map(|f| f.state.to_string())
}

/// (queued, delivered, failed) deliveries on `server`.
async fn deliveries(server: &TestServer) -> (i64, i64, i64) {
    server
        .with_db(|conn, _| guild::store::deliveries::counts(conn))
        .await
}

#[actix_web::test]
async fn allowlist_and_suspension() {
    for backend in backends() {
        eprintln!("allowlist_and_suspension with alpha on {}", backend.name());
        policy_on(&backend).await;
    }
}

async fn policy_on(backend: &Backend) {
    let beta = TestServer::start(&Backend::Sqlite).await;
    let delta = TestServer::start(&Backend::Sqlite).await;
    // Alpha federates only with beta: the company's private network.
    let alpha = TestServer::start_with(
        backend,
        &[
            ("GUILD_FEDERATION_MODE", "allowlist"),
            ("GUILD_FEDERATION_DOMAINS", &beta.domain),
        ],
    )
    .await;
    alpha.create_user("alice", false).await;
    beta.create_user("bob", false).await;
    delta.create_user("dan", false).await;
    let (alice, bob, dan) = (
        format!("alice@{}", alpha.domain),
        format!("bob@{}", beta.domain),
        format!("dan@{}", delta.domain),
    );

    follow(&beta, "bob", &alice).await;
    eventually("beta, on the allowlist, follows alpha", || async {
        state(&beta, "bob", &alice).await.as_deref() == Some("accepted")
    })
    .await;

    follow(&alpha, "alice", &bob).await;
    eventually("alpha follows beta", || async {
        state(&alpha, "alice", &bob).await.as_deref() == Some("accepted")
    })
    .await;

    // Delta is outside: its Follow is refused with 403 and nothing is stored on alpha.
    follow(&delta, "dan", &alice).await;
    eventually("delta's delivery is refused for good", || async {
        deliveries(&delta).await.2 == 1
    })
    .await;
    let stored_on_alpha = alpha
        .with_db({
            let domain = delta.domain.clone();
            move |conn, _| guild::store::accounts::by_acct(conn, "dan", Some(&domain))
        })
        .await;
    assert!(
        stored_on_alpha.is_none(),
        "nothing from a refused domain is stored"
    );
    // Nor does alpha fetch from it.
    let refused = account(&alpha, &dan).await.unwrap_err();
    assert!(
        matches!(refused, guild::error::Error::Forbidden(_)),
        "{refused:?}"
    );

    // Beta suspends delta after dan followed bob: bob's posts never go there.
    follow(&delta, "dan", &bob).await;
    eventually("dan follows bob", || async {
        state(&delta, "dan", &bob).await.as_deref() == Some("accepted")
    })
    .await;
    let delta_domain = delta.domain.clone();
    beta.with_db(move |conn, _| policy::set(conn, &delta_domain, DomainPolicy::Suspend, "spam"))
        .await;
    let bob_row = account(&beta, "bob").await.unwrap();
    let post = beta
        .with_db(move |conn, config| {
            let new = public_post("internal news");
            statuses::create(conn, config, &bob_row, new)
        })
        .await;
    eventually("bob's post reaches alpha", || async {
        let id = post.ap_id.clone();
        alpha
            .with_db(move |conn, _| status_store::by_ap_id(conn, &id))
            .await
            .is_some()
    })
    .await;
    let id = post.ap_id.clone();
    assert!(delta
        .with_db(move |conn, _| status_store::by_ap_id(conn, &id))
        .await
        .is_none());
    let (queued, _, failed) = deliveries(&beta).await;
    assert_eq!(
        (queued, failed),
        (0, 0),
        "no delivery to a suspended domain was even queued"
    );

    // A silenced domain's posts are accepted but kept out of the public timeline.
    let alice_row = account(&alpha, "alice").await.unwrap();
    let news = alpha
        .with_db(move |conn, config| {
            statuses::create(conn, config, &alice_row, public_post("from alpha"))
        })
        .await;
    eventually("alice's post reaches beta", || async {
        let id = news.ap_id.clone();
        beta.with_db(move |conn, _| status_store::by_ap_id(conn, &id))
            .await
            .is_some()
    })
    .await;
    let public_uris = || async {
        let timeline = beta
            .get_json("/api/v1/timelines/public?remote=true", "application/json")
            .await;
        timeline
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["uri"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert!(public_uris().await.contains(&news.ap_id));
    let alpha_domain = alpha.domain.clone();
    beta.with_db(move |conn, _| policy::set(conn, &alpha_domain, DomainPolicy::Silence, ""))
        .await;
    assert!(
        !public_uris().await.contains(&news.ap_id),
        "silenced posts leave the public timeline"
    );

    alpha.stop().await;
    beta.stop().await;
    delta.stop().await;
}
