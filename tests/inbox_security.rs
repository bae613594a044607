//! The inbox refuses what it must: unsigned, forged, tampered, spoofed, malformed and
//! oversized requests; replays change nothing; unknown activity types are accepted and ignored.

mod common;

use common::{backends, post, signed, Backend, Signer, TestServer};
use guild::store::{accounts, follows};
use serde_json::json;

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
    let slashed = json!({"id": alpha.url("/activities/10"), "type": "Travel", "actor": alice.ap_id, "object": bob_id});
    assert_eq!(
        signed(&beta, "/inbox/", &slashed, &alice_signer).await,
        202,
        "a trailing slash is checked as it was signed"
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

    // Alice's key is rotated on alpha; beta's copy is an hour old. The first signature with
    // the new key fails against it, so beta fetches alice again and accepts.
    let new_keys = guild::crypto::generate_keypair().unwrap();
    let (public_pem, private_pem) = (new_keys.public_pem.clone(), new_keys.private_pem.clone());
    alpha
        .with_db(move |conn, _| {
            use diesel::prelude::*;
            use guild::db::schema::accounts::dsl::*;
            diesel::update(accounts.filter(username.eq("alice")))
                .set((
                    public_key_pem.eq(public_pem),
                    private_key_pem.eq(Some(private_pem)),
                ))
                .execute(conn)?;
            Ok(())
        })
        .await;
    let alice_id = alice.ap_id.clone();
    beta.with_db(move |conn, _| {
        use diesel::prelude::*;
        use guild::db::schema::accounts::dsl::*;
        let hour_ago = guild::time::now() - chrono::Duration::hours(1);
        diesel::update(accounts.filter(ap_id.eq(alice_id)))
            .set(fetched_at.eq(Some(hour_ago)))
            .execute(conn)?;
        Ok(())
    })
    .await;
    let rotated = Signer {
        key_id: alice_signer.key_id.clone(),
        private_pem: new_keys.private_pem,
    };
    assert_eq!(
        signed(&beta, "/inbox", &follow("/activities/8"), &rotated).await,
        202,
        "rotated key"
    );
    assert_eq!(follows_on_beta().await, 1);
    // The old key no longer works, and a forgery does not make beta fetch again.
    assert_eq!(
        signed(&beta, "/inbox", &follow("/activities/9"), &alice_signer).await,
        401
    );
    // A path with a trailing slash is checked as it was signed, not as it is routed.
    let undo = json!({"id": alpha.url("/activities/10"), "type": "Undo", "actor": alice.ap_id, "object": follow("/activities/8")});
    assert_eq!(signed(&beta, "/inbox/", &undo, &rotated).await, 202);
    assert_eq!(follows_on_beta().await, 0);
    // An account beta's administrators suspended is refused, however well it signs.
    let suspend = |suspended: bool| {
        let alice_id = alice.ap_id.clone();
        beta.with_db(move |conn, _| {
            let alice = accounts::by_ap_id(conn, &alice_id)?;
            accounts::set_suspended(conn, alice.unwrap().id, suspended)
        })
    };
    suspend(true).await;
    let follow_again = follow("/activities/11");
    assert_eq!(
        signed(&beta, "/inbox", &follow_again, &rotated).await,
        403,
        "suspended actor"
    );
    suspend(false).await;
    assert_eq!(signed(&beta, "/inbox", &follow_again, &rotated).await, 202);
    assert_eq!(follows_on_beta().await, 1);

    alpha.stop().await;
    beta.stop().await;
}
