//! A person closes their account from the web: their posts go here and on the server of a
//! follower, the actor answers 410, the login and its sessions end, and the name stays taken.

mod common;

use common::{
    arrived, backends, eventually, follow_accepted, forms::FormClient, public_post, Backend,
    TestServer,
};
use guild::store::{accounts, statuses};

#[actix_web::test]
async fn a_person_deletes_their_account() {
    for backend in backends() {
        eprintln!("account deletion with alpha on {}", backend.name());
        deletion(&backend).await;
    }
}

async fn deletion(backend: &Backend) {
    let alpha = TestServer::start(backend).await;
    let beta = TestServer::start(&Backend::Sqlite).await;
    alpha.create_user("alice", false).await;
    beta.create_user("bob", false).await;

    // Bob on beta follows Alice, and has her post.
    let ctx = beta.ctx().await;
    let alice_on_beta =
        guild::federation::resolve::account(&ctx, &format!("alice@{}", alpha.domain))
            .await
            .unwrap();
    let bob = guild::federation::resolve::account(&ctx, "bob")
        .await
        .unwrap();
    follow_accepted(&beta, bob, alice_on_beta.clone()).await;
    let post = alpha
        .with_db(|conn, config| {
            let alice = accounts::local_by_username(conn, "alice")?.unwrap();
            guild::service::statuses::create(conn, config, &alice, public_post("Goodbye soon"))
        })
        .await;
    let post_uri = post.ap_id.clone();
    arrived(&beta, &post_uri).await;
    // And she answered, boosted and favourited Carol's post, which counts them.
    alpha.create_user("carol", false).await;
    let carols = alpha
        .with_db(|conn, config| {
            let carol = accounts::local_by_username(conn, "carol")?.unwrap();
            let alice = accounts::local_by_username(conn, "alice")?.unwrap();
            let carols = guild::service::statuses::create(conn, config, &carol, public_post("Hi"))?;
            let mut reply = public_post("Hello Carol");
            reply.in_reply_to_id = Some(carols.id);
            guild::service::statuses::create(conn, config, &alice, reply)?;
            guild::service::interactions::reblog(conn, config, &alice, carols.id)?;
            guild::service::interactions::favourite(conn, config, &alice, carols.id)?;
            Ok(carols.id)
        })
        .await;
    let counts = || {
        alpha.with_db(move |conn, _| {
            let carols = statuses::by_id(conn, carols)?.unwrap();
            let alice = accounts::local_by_username(conn, "alice")?.unwrap();
            Ok((
                carols.replies_count,
                carols.reblogs_count,
                carols.favourites_count,
                alice.statuses_count,
            ))
        })
    };
    // Two posts and a boost, counted as Mastodon counts them.
    assert_eq!(counts().await, (1, 1, 1, 3));

    let browser = FormClient::signed_in(&alpha, "alice").await;
    let page = browser.get("/settings/password").await;
    assert!(page.body.contains("Delete your account"), "{}", page.body);
    let refused = browser
        .submit("/settings/delete", &[("password", "not it")])
        .await;
    assert_eq!(refused.status, 422);
    assert!(refused.body.contains("password is not right"));
    let (status, _) = alpha
        .get(&format!("/api/v1/statuses/{}", post.id), "*/*")
        .await;
    assert_eq!(status, 200, "a refused deletion changes nothing");

    let deleted = browser
        .submit("/settings/delete", &[("password", "password123")])
        .await;
    assert!(deleted.status < 400, "{}", deleted.body);
    assert!(!browser.has_session());
    assert_eq!(browser.get("/settings/password").await.status, 401);

    // Here: the actor is gone for good, its post and webfinger answer 404, nobody signs in
    // as alice, and the name is not given again.
    let (status, _) = alpha.get("/users/alice", "application/activity+json").await;
    assert_eq!(status, 410);
    let webfinger = format!(
        "/.well-known/webfinger?resource=acct:alice@{}",
        alpha.domain
    );
    assert_eq!(alpha.get(&webfinger, "*/*").await.0, 404);
    let (status, _) = alpha
        .get(&format!("/api/v1/statuses/{}", post.id), "*/*")
        .await;
    assert_eq!(status, 404);
    let counted = counts().await;
    assert_eq!(
        counted,
        (0, 0, 0, 0),
        "her reply, boost, favourite or posts still count"
    );
    let again = FormClient::new(&alpha);
    again.get("/sign-in").await;
    let fields = [("username", "alice"), ("password", "password123")];
    assert!(again.submit("/sign-in", &fields).await.status >= 400);
    let taken = alpha
        .with_db(|conn, config| {
            let new = guild::service::accounts::NewUser {
                username: "alice",
                display_name: None,
                email: "someone-else@example.org",
                password: "password123",
                admin: false,
                approved: true,
            };
            Ok(guild::service::accounts::create_user(conn, config, &new).is_err())
        })
        .await;
    assert!(taken, "the name of a deleted account was given again");

    // There: beta drops the account, its post and bob's follow.
    let alice_id = alice_on_beta.id;
    eventually("beta drops alice and her post", || async {
        let uri = post_uri.clone();
        beta.with_db(move |conn, _| {
            let post = statuses::by_ap_id(conn, &uri)?.unwrap();
            let alice = accounts::by_id(conn, alice_id)?.unwrap();
            Ok(post.deleted_at.is_some() && alice.deleted_at.is_some())
        })
        .await
    })
    .await;
    let followers = beta
        .with_db(move |conn, _| {
            guild::store::follows::page_actor_ids(conn, alice_id, true, None, 10)
        })
        .await;
    assert!(followers.is_empty(), "{followers:?}");
    alpha.stop().await;
    beta.stop().await;
}
