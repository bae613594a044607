//! Secure mode: with `authorized_fetch` on, ActivityPub documents are served only to signed
//! fetches from instances we federate with; Guild's own fetches are signed by its instance
//! actor, so federation with such instances works.

mod common;

use common::{backends, eventually, follow_accepted, Backend, TestServer};
use guild::delivery::signing;

const AP: &str = "application/activity+json";

/// GET `path` on `server` signed with `pem` under `key_id`.
async fn signed_get(server: &TestServer, path: &str, key_id: &str, pem: &str) -> u16 {
    let url = url::Url::parse(&server.url(path)).unwrap();
    let key = signing::parse_key(pem).unwrap();
    let signed = signing::sign("GET", &url, None, key_id, &key).unwrap();
    server
        .http
        .get(url)
        .header("Accept", AP)
        .header("Date", signed.date)
        .header("Signature", signed.signature)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[actix_web::test]
async fn authorized_fetch_requires_signatures() {
    for backend in backends() {
        eprintln!(
            "authorized_fetch_requires_signatures with alpha on {}",
            backend.name()
        );
        let alpha = TestServer::start_with(&backend, &[("GUILD_AUTHORIZED_FETCH", "true")]).await;
        let beta = TestServer::start(&Backend::Sqlite).await;
        alpha.create_user("alice", false).await;
        beta.create_user("bob", false).await;

        assert_eq!(alpha.get("/users/alice", AP).await.0, 401, "unsigned fetch");
        assert_eq!(
            alpha.get("/users/alice", "text/html").await.0,
            200,
            "browsers still get pages"
        );
        assert_eq!(
            alpha.get("/actor", AP).await.0,
            200,
            "the instance actor is public"
        );
        assert_eq!(alpha.get("/users/alice/outbox", AP).await.0, 401);

        let bob = beta
            .with_db(|conn, _| guild::store::accounts::local_by_username(conn, "bob"))
            .await
            .unwrap();
        let (key_id, pem) = (
            format!("{}#main-key", bob.ap_id),
            bob.private_key_pem.clone().unwrap(),
        );
        assert_eq!(
            signed_get(&alpha, "/users/alice", &key_id, &pem).await,
            200,
            "signed by bob"
        );
        let forged = guild::crypto::generate_keypair().unwrap().private_pem;
        assert_eq!(
            signed_get(&alpha, "/users/alice", &key_id, &forged).await,
            401,
            "forged"
        );

        // Beta's fetches are signed by its instance actor, so bob can follow alice.
        let ctx = beta.ctx().await;
        let alice = guild::federation::resolve::account(&ctx, &format!("alice@{}", alpha.domain))
            .await
            .unwrap();
        follow_accepted(&beta, bob.clone(), alice).await;

        // A suspended domain's signed fetches are refused.
        let beta_domain = beta.domain.clone();
        alpha
            .with_db(move |conn, _| {
                guild::service::policy::set(
                    conn,
                    &beta_domain,
                    guild::domain::DomainPolicy::Suspend,
                    "",
                )
            })
            .await;
        eventually("the suspension applies", || async {
            signed_get(&alpha, "/users/alice", &key_id, &pem).await == 403
        })
        .await;
        alpha.stop().await;
        beta.stop().await;
    }
}
