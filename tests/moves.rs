//! A person moves from one server to another, with followers on the old server and on a
//! third: the new account names the old one, the old one moves, and every follower ends up
//! following the new account.

mod common;

use common::{backends, eventually, follow_accepted, forms::FormClient, Backend, TestServer};
use guild::federation::resolve;
use guild::store::{accounts::Account, follows};

async fn account(server: &TestServer, acct: &str) -> Account {
    resolve::account(&server.ctx().await, acct).await.unwrap()
}

/// The follow state of `who` → `whom` on `server`.
async fn state(server: &TestServer, who: i64, whom: i64) -> Option<String> {
    server
        .with_db(move |conn, _| follows::between(conn, who, whom))
        .await
        .map(|f| f.state.to_string())
}

#[actix_web::test]
async fn a_person_moves_with_their_followers() {
    for backend in backends() {
        eprintln!("moving with the old server on {}", backend.name());
        moving(&backend).await;
    }
}

async fn moving(backend: &Backend) {
    let old = TestServer::start(backend).await;
    let new = TestServer::start(&Backend::Sqlite).await;
    let third = TestServer::start(&Backend::Sqlite).await;
    old.create_user("alice", false).await;
    old.create_user("dave", false).await;
    new.create_user("alice", false).await;
    third.create_user("carol", false).await;

    // Followers: Dave on the old server, Carol on a third.
    let old_alice = format!("alice@{}", old.domain);
    let new_alice = format!("alice@{}", new.domain);
    let dave = account(&old, "dave").await;
    let alice_here = account(&old, "alice").await;
    follow_accepted(&old, dave.clone(), alice_here.clone()).await;
    let carol = account(&third, "carol").await;
    let alice_on_third = account(&third, &old_alice).await;
    follow_accepted(&third, carol.clone(), alice_on_third.clone()).await;

    // Moving before the new account names the old one is refused and changes nothing.
    let leaving = FormClient::signed_in(&old, "alice").await;
    let move_fields = [("handle", new_alice.as_str()), ("password", "password123")];
    let refused = leaving.submit("/settings/move", &move_fields).await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(refused.body.contains("add "), "{}", refused.body);
    assert_eq!(
        state(&old, dave.id, alice_here.id).await.as_deref(),
        Some("accepted")
    );

    let arriving = FormClient::signed_in(&new, "alice").await;
    let named = arriving
        .submit("/settings/aliases", &[("handle", old_alice.as_str())])
        .await;
    assert_eq!(named.status, 200, "{}", named.body);
    let actor = new
        .get_json("/users/alice", "application/activity+json")
        .await;
    assert_eq!(actor["alsoKnownAs"][0], alice_here.ap_id, "{actor}");

    let wrong = [("handle", new_alice.as_str()), ("password", "not it")];
    assert_eq!(leaving.submit("/settings/move", &wrong).await.status, 422);
    let moved = leaving.submit("/settings/move", &move_fields).await;
    assert_eq!(moved.status, 200, "{}", moved.body);
    let actor = old
        .get_json("/users/alice", "application/activity+json")
        .await;
    let new_alice_on_old = account(&old, &new_alice).await;
    assert_eq!(actor["movedTo"], new_alice_on_old.ap_id, "{actor}");
    let shown = old
        .get_json(
            &format!("/api/v1/accounts/{}", alice_here.id),
            "application/json",
        )
        .await;
    assert_eq!(
        shown["moved"]["id"],
        new_alice_on_old.id.to_string(),
        "{shown}"
    );

    // Dave (same server) and Carol (third server) follow the new account, not the old.
    let (dave_id, old_id, new_id) = (dave.id, alice_here.id, new_alice_on_old.id);
    eventually("dave follows the new account", || async {
        state(&old, dave_id, new_id).await.as_deref() == Some("accepted")
    })
    .await;
    assert_eq!(state(&old, dave_id, old_id).await, None);
    let new_alice_on_third = account(&third, &new_alice).await;
    let (carol_id, old_on_third, new_on_third) =
        (carol.id, alice_on_third.id, new_alice_on_third.id);
    eventually("carol follows the new account", || async {
        state(&third, carol_id, new_on_third).await.as_deref() == Some("accepted")
            && state(&third, carol_id, old_on_third).await.is_none()
    })
    .await;
    let followers = new
        .with_db(|conn, _| {
            let alice = guild::store::accounts::local_by_username(conn, "alice")?.unwrap();
            follows::page_actor_ids(conn, alice.id, true, None, 10)
        })
        .await;
    assert_eq!(followers.len(), 2, "{followers:?}");
    old.stop().await;
    new.stop().await;
    third.stop().await;
}
