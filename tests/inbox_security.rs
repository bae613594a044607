//! The inbox refuses what it must: unsigned, forged, tampered, spoofed, malformed and
//! oversized requests; replays change nothing; unknown activity types are accepted and ignored.

mod common;

use common::{backends, Backend, TestServer};
use guild::delivery::signing;
use guild::store::{accounts, follows};
use serde_json::json;

/// Who signs a request: key id and PEM private key.
struct Signer {
    key_id: String,
    private_pem: String,
}

/// POST `body` to `path` on `server`, signed by `signer` over `signed_body` (normally the same
/// body; a different one makes the digest wrong).
async fn post(
    server: &TestServer,
    path: &str,
    body: &str,
    signer: Option<&Signer>,
    signed_body: &str,
) -> u16 {
    let url = url::Url::parse(&server.url(path)).unwrap();
    let mut request = server
        .http
        .post(url.clone())
        .header("Content-Type", "application/activity+json");
    if let Some(signer) = signer {
        let signed = signing::sign(
            "POST",
            &url,
            Some(signed_body.as_bytes()),
            &signer.key_id,
            &signing::parse_key(&signer.private_pem).unwrap(),
        )
        .unwrap();
        request = request
            .header("Date", signed.date)
            .header("Digest", signed.digest.unwrap())
            .header("Signature", signed.signature);
    }
    request
        .body(body.to_string())
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn signed(server: &TestServer, path: &str, body: &serde_json::Value, signer: &Signer) -> u16 {
    let text = body.to_string();
    post(server, path, &text, Some(signer), &text).await
}

#[actix_web::test]
async fn inbox_refuses_forgeries_and_ignores_replays() {
    for backend in backends() {
        eprintln!(
            "inbox_refuses_forgeries_and_ignores_replays on {}",
            backend.name()
        );
        inbox_on(&backend).await;
    }
}

async fn inbox_on(backend: &Backend) {
    let alpha = TestServer::start(&Backend::Sqlite).await;
    let beta = TestServer::start(backend).await;
    alpha.create_user("alice", false).await;
    beta.create_user("bob", false).await;
    let alice = alpha
        .with_db(|conn, _| accounts::local_by_username(conn, "alice"))
        .await
        .unwrap();
    let alice_signer = Signer {
        key_id: format!("{}#main-key", alice.ap_id),
        private_pem: alice.private_key_pem.clone().unwrap(),
    };
    let forger = Signer {
        key_id: alice_signer.key_id.clone(),
        private_pem: guild::crypto::generate_keypair().unwrap().private_pem,
    };
    let bob_id = beta.url("/users/bob");
    let follow = |id: &str| json!({"id": alpha.url(id), "type": "Follow", "actor": alice.ap_id, "object": bob_id});
    let follows_on_beta = || async {
        beta.with_db(|conn, _| {
            let bob = accounts::local_by_username(conn, "bob")?.unwrap();
            follows::page_actor_ids(conn, bob.id, true, None, 10)
        })
        .await
        .len()
    };

    let body = follow("/activities/1").to_string();
    assert_eq!(
        post(&beta, "/inbox", &body, None, &body).await,
        401,
        "unsigned"
    );
    assert_eq!(
        post(&beta, "/inbox", &body, Some(&forger), &body).await,
        401,
        "signed with another key"
    );
    let tampered = follow("/activities/2").to_string();
    assert_eq!(
        post(&beta, "/inbox", &tampered, Some(&alice_signer), &body).await,
        400,
        "digest mismatch"
    );
    let spoofed = json!({"id": "http://elsewhere.example/activities/3", "type": "Follow", "actor": alice.ap_id, "object": bob_id});
    assert_eq!(
        signed(&beta, "/inbox", &spoofed, &alice_signer).await,
        400,
        "activity id off the actor's origin"
    );
    assert_eq!(
        post(
            &beta,
            "/inbox",
            "{not json",
            Some(&alice_signer),
            "{not json"
        )
        .await,
        400,
        "malformed JSON"
    );
    let huge = json!({"id": alpha.url("/activities/4"), "type": "Note", "content": "x".repeat(2 * 1024 * 1024)}).to_string();
    assert_eq!(
        post(&beta, "/inbox", &huge, Some(&alice_signer), &huge).await,
        413,
        "oversized body"
    );
    assert_eq!(follows_on_beta().await, 0, "nothing refused was stored");

    let unknown = json!({"id": alpha.url("/activities/5"), "type": "Travel", "actor": alice.ap_id, "object": bob_id});
    assert_eq!(
        signed(&beta, "/inbox", &unknown, &alice_signer).await,
        202,
        "unknown types are accepted"
    );

    // A genuine Follow, its Undo, and a replay of the Follow that must not count again.
    let genuine = follow("/activities/6");
    assert_eq!(
        signed(&beta, "/users/bob/inbox", &genuine, &alice_signer).await,
        202
    );
    assert_eq!(follows_on_beta().await, 1);
    let undo = json!({"id": alpha.url("/activities/7"), "type": "Undo", "actor": alice.ap_id, "object": genuine});
    assert_eq!(signed(&beta, "/inbox", &undo, &alice_signer).await, 202);
    assert_eq!(follows_on_beta().await, 0);
    assert_eq!(
        signed(&beta, "/inbox", &genuine, &alice_signer).await,
        202,
        "replay acknowledged"
    );
    assert_eq!(follows_on_beta().await, 0, "replay changed nothing");

    alpha.stop().await;
    beta.stop().await;
}
