//! What a hostile or merely different peer sends: RFC 9421 signatures, signatures dated
//! ahead, posts attributed to someone on another server, forged copies that race the real
//! activity.

mod common;

use common::peer::{post_dated, post_rfc9421};
use common::{backends, signed, Backend, Signer, TestServer};
use guild::store::{accounts, follows, statuses};
use serde_json::json;

#[actix_web::test]
async fn inbox_checks_what_peers_claim() {
    for backend in backends() {
        eprintln!("inbox_checks_what_peers_claim on {}", backend.name());
        claims_on(&backend).await;
    }
}

async fn claims_on(backend: &Backend) {
    let alpha = TestServer::start(&Backend::Sqlite).await;
    let beta = TestServer::start(backend).await;
    alpha.create_user("alice", false).await;
    beta.create_user("bob", false).await;
    let (alice, alice_signer) = alpha.signer("alice").await;
    let forger = Signer {
        key_id: alice_signer.key_id.clone(),
        private_pem: guild::crypto::generate_keypair().unwrap().private_pem,
    };
    let bob_id = beta.url("/users/bob");
    let follow = |n: u32| json!({"id": alpha.url(&format!("/activities/{n}")), "type": "Follow", "actor": alice.ap_id, "object": bob_id});
    let undo = |n: u32, inner: &serde_json::Value| json!({"id": alpha.url(&format!("/activities/{n}")), "type": "Undo", "actor": alice.ap_id, "object": inner});
    let follows_on_beta = || async {
        beta.with_db(|conn, _| {
            let bob = accounts::local_by_username(conn, "bob")?.unwrap();
            follows::page_actor_ids(conn, bob.id, true, None, 10)
        })
        .await
        .len()
    };

    // RFC 9421, with Content-Digest and no Digest, is taken at first try.
    let first = follow(1);
    assert_eq!(
        post_rfc9421(&beta, "/inbox", &first, &alice_signer, 0).await,
        202
    );
    assert_eq!(follows_on_beta().await, 1, "RFC 9421 follow applied");
    // Having heard from alpha, beta learns from its nodeinfo what it runs.
    let alpha_domain = alpha.domain.clone();
    common::eventually("beta knows alpha runs guild", || async {
        let domain = alpha_domain.clone();
        beta.with_db(move |conn, _| guild::store::instances::software(conn, &domain))
            .await
            .as_deref()
            == Some("guild")
    })
    .await;
    assert_eq!(
        post_rfc9421(&beta, "/inbox", &undo(2, &first), &forger, 0).await,
        401,
        "RFC 9421 with another key"
    );
    assert_eq!(follows_on_beta().await, 1);

    // Signatures dated ahead would replay until their date: refused like stale ones.
    let day = 24 * 3600;
    for (offset, what) in [
        (2 * 3600, "two hours ahead"),
        (day, "a day ahead"),
        (-2 * 3600, "two hours old"),
    ] {
        assert_eq!(
            post_dated(&beta, "/inbox", &undo(3, &first), &alice_signer, offset).await,
            401,
            "draft-cavage dated {what}"
        );
        assert_eq!(
            post_rfc9421(&beta, "/inbox", &undo(4, &first), &alice_signer, offset).await,
            401,
            "RFC 9421 created {what}"
        );
    }
    assert_eq!(
        follows_on_beta().await,
        1,
        "nothing dated wrongly was applied"
    );

    // A forged copy of an activity arriving first does not make the real one be skipped.
    let real_undo = undo(5, &first);
    assert_eq!(
        signed(&beta, "/inbox", &real_undo, &forger).await,
        401,
        "forged copy"
    );
    assert_eq!(
        signed(&beta, "/inbox", &real_undo, &alice_signer).await,
        202
    );
    assert_eq!(follows_on_beta().await, 0, "the real Undo was applied");

    // A post on alice's server attributed to someone on another port is not believed.
    let elsewhere = format!("http://localhost:{}/users/zed", alpha.port() + 1);
    let note_id = alpha.url("/statuses/999");
    let forged_note = json!({
        "id": alpha.url("/activities/6"), "type": "Create", "actor": alice.ap_id,
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "object": {"id": note_id, "type": "Note", "attributedTo": elsewhere,
                   "to": ["https://www.w3.org/ns/activitystreams#Public"], "content": "not mine"}
    });
    assert_eq!(
        signed(&beta, "/inbox", &forged_note, &alice_signer).await,
        400
    );
    let stored = beta
        .with_db(move |conn, _| statuses::by_ap_id(conn, &note_id))
        .await;
    assert!(stored.is_none(), "the misattributed post was not stored");

    // A like of a post its own server does not have is a permanent failure, not one to retry.
    let like = json!({"id": alpha.url("/activities/7"), "type": "Like", "actor": alice.ap_id, "object": alpha.url("/statuses/424242")});
    let status = signed(&beta, "/inbox", &like, &alice_signer).await;
    assert!(
        (400..500).contains(&status),
        "a missing object is a 4xx, got {status}"
    );

    alpha.stop().await;
    beta.stop().await;
}

#[actix_web::test]
async fn a_community_relays_only_its_members_own_activities() {
    for backend in backends() {
        eprintln!(
            "a_community_relays_only_its_members_own_activities on {}",
            backend.name()
        );
        relays_on(&backend).await;
    }
}

/// Announces a community has sent, all kinds.
async fn announces(server: &TestServer, community: &str) -> i64 {
    let community = community.to_string();
    server
        .with_db(move |conn, _| {
            use diesel::prelude::*;
            use guild::db::schema::activities::dsl;
            let group = accounts::local_by_username(conn, &community)?.unwrap();
            Ok(dsl::activities
                .filter(dsl::actor_id.eq(group.id))
                .filter(dsl::kind.eq("Announce"))
                .count()
                .get_result(conn)?)
        })
        .await
}

async fn relays_on(backend: &Backend) {
    let alpha = TestServer::start(&Backend::Sqlite).await;
    let beta = TestServer::start(backend).await;
    alpha.create_user("alan", false).await;
    alpha.create_user("eve", false).await;
    beta.create_user("bob", false).await;
    beta.create_community("practice", "bob").await;
    let practice = beta.url("/c/practice");
    // alan, on alpha, is a member, so what the community relays goes to alpha.
    let (alan, remote_practice) = (
        alpha
            .with_db(|conn, _| accounts::local_by_username(conn, "alan"))
            .await
            .unwrap(),
        guild::federation::resolve::account(
            &alpha.ctx().await,
            &format!("practice@{}", beta.domain),
        )
        .await
        .unwrap(),
    );
    common::follow_accepted(&alpha, alan, remote_practice).await;
    let thread = beta
        .with_db(|conn, config| {
            let bob = accounts::local_by_username(conn, "bob")?.unwrap();
            let practice = accounts::local_by_username(conn, "practice")?;
            let post = guild::service::statuses::NewPost {
                title: Some("Members only talk".into()),
                community: practice,
                ..common::public_post("a thread")
            };
            guild::service::statuses::create(conn, config, &bob, post)
        })
        .await;
    let before = announces(&beta, "practice").await;
    assert!(before >= 2, "the member's thread was relayed");

    let (eve, eve_signer) = alpha.signer("eve").await;
    // eve, no member, wraps bob's thread in a Create of her own, again and again.
    for n in 1..=2 {
        let wrapped = json!({
            "id": alpha.url(&format!("/activities/eve-{n}")), "type": "Create", "actor": eve.ap_id,
            "to": ["https://www.w3.org/ns/activitystreams#Public", practice],
            "audience": practice, "object": thread.ap_id,
        });
        let status = signed(&beta, "/inbox", &wrapped, &eve_signer).await;
        assert!(status < 500, "answered {status}");
    }
    assert_eq!(
        announces(&beta, "practice").await,
        before,
        "nothing of eve's relayed"
    );

    // A post of eve's addressed to the community alone is refused, not kept as a message.
    let note_id = alpha.url("/statuses/eve-note");
    let only_community = json!({
        "id": alpha.url("/activities/eve-3"), "type": "Create", "actor": eve.ap_id,
        "to": [practice],
        "object": {"id": note_id, "type": "Note", "attributedTo": eve.ap_id, "to": [practice], "content": "let me in"}
    });
    assert_eq!(
        signed(&beta, "/inbox", &only_community, &eve_signer).await,
        403
    );
    let stored = beta
        .with_db(move |conn, _| statuses::by_ap_id(conn, &note_id))
        .await;
    assert!(stored.is_none(), "the refused post was not stored");
    assert_eq!(announces(&beta, "practice").await, before);

    alpha.stop().await;
    beta.stop().await;
}
