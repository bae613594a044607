//! A person downloads their data from the account page: whom they follow, block and mute,
//! their lists and bookmarks as Mastodon's CSV files, and their posts as an outbox.

mod common;

use common::{backends, follow_accepted, forms::FormClient, public_post, Backend, TestServer};
use guild::service::{blocks, bookmarks, interactions, lists, statuses};
use guild::store::accounts;

#[actix_web::test]
async fn a_person_takes_their_data() {
    for backend in backends() {
        eprintln!("export on {}", backend.name());
        export(&backend).await;
    }
}

async fn export(backend: &Backend) {
    let alpha = TestServer::start(backend).await;
    let beta = TestServer::start(&Backend::Sqlite).await;
    for name in ["alice", "carol", "dave", "erin"] {
        alpha.create_user(name, false).await;
    }
    beta.create_user("bob", false).await;
    let ctx = alpha.ctx().await;
    let resolve = |acct: String| {
        let ctx = ctx.clone();
        async move {
            guild::federation::resolve::account(&ctx, &acct)
                .await
                .unwrap()
        }
    };
    let alice = resolve("alice".into()).await;
    let bob = resolve(format!("bob@{}", beta.domain)).await;
    follow_accepted(&alpha, alice.clone(), bob.clone()).await;
    let (me, carol_id) = (alice.clone(), resolve("carol".into()).await.id);
    let (first, boost) = alpha
        .with_db(move |conn, config| {
            let carol = accounts::by_id(conn, carol_id)?.unwrap();
            guild::service::follows::follow(conn, config, &me, &carol)?;
            let dave = accounts::local_by_username(conn, "dave")?.unwrap();
            let erin = accounts::local_by_username(conn, "erin")?.unwrap();
            blocks::block(conn, config, &me, &dave)?;
            blocks::mute(conn, &me, &erin, true)?;
            let change = lists::ListChange {
                title: Some("Pairing, weekly".into()),
                replies_policy: None,
                exclusive: None,
            };
            let list = lists::create(conn, me.id, change)?;
            lists::add_accounts(conn, me.id, list.id, &[carol.id])?;
            let first = statuses::create(conn, config, &me, public_post("First thoughts"))?;
            let by_carol = statuses::create(conn, config, &carol, public_post("Worth keeping"))?;
            bookmarks::add(conn, me.id, by_carol.id)?;
            let boost = interactions::reblog(conn, config, &me, by_carol.id)?;
            Ok((first, (boost, by_carol)))
        })
        .await;

    let stranger = FormClient::new(&alpha);
    assert_eq!(stranger.get("/settings/export/lists.csv").await.status, 401);
    let browser = FormClient::signed_in(&alpha, "alice").await;
    let page = browser.get("/settings/password").await;
    assert!(
        page.body.contains("/settings/export/outbox.json"),
        "{}",
        page.body
    );
    let file = |name: &'static str| {
        let browser = &browser;
        async move {
            let answer = browser.get(&format!("/settings/export/{name}")).await;
            assert_eq!(answer.status, 200, "{name}: {}", answer.body);
            answer.body
        }
    };
    let here = &alpha.domain;
    assert_eq!(
        file("following_accounts.csv").await,
        format!(
            "Account address,Show boosts,Notify on new posts,Languages\n\
             bob@{},true,false,\ncarol@{here},true,false,\n",
            beta.domain
        )
    );
    assert_eq!(file("blocked_accounts.csv").await, format!("dave@{here}\n"));
    assert_eq!(
        file("muted_accounts.csv").await,
        format!("Account address,Hide notifications\nerin@{here},true\n")
    );
    assert_eq!(
        file("lists.csv").await,
        format!("\"Pairing, weekly\",carol@{here}\n")
    );
    let (boost, by_carol) = boost;
    assert_eq!(file("bookmarks.csv").await, format!("{}\n", by_carol.ap_id));

    let outbox: serde_json::Value = serde_json::from_str(&file("outbox.json").await).unwrap();
    assert_eq!(outbox["type"], "OrderedCollection");
    assert_eq!(outbox["totalItems"], 2);
    let items = outbox["orderedItems"].as_array().unwrap();
    assert_eq!(items[0]["type"], "Announce");
    assert_eq!(items[0]["id"], boost.ap_id);
    assert_eq!(items[0]["object"], by_carol.ap_id);
    assert_eq!(items[1]["type"], "Create");
    assert_eq!(items[1]["object"]["id"], first.ap_id);
    assert_eq!(items[1]["object"]["content"], "<p>First thoughts</p>");
    assert_eq!(items[1]["actor"], alice.ap_id);
    assert_eq!(
        browser.get("/settings/export/passwords.csv").await.status,
        404
    );

    // Frank brings Alice's files to his account: the same accounts and bookmarks, and his
    // own export then reads the same. A line that names nobody is reported, not fatal.
    alpha.create_user("frank", false).await;
    let frank = FormClient::signed_in(&alpha, "frank").await;
    for name in [
        "following_accounts.csv",
        "blocked_accounts.csv",
        "muted_accounts.csv",
        "lists.csv",
        "bookmarks.csv",
    ] {
        let mut data = file(name).await;
        if name == "blocked_accounts.csv" {
            data.push_str(&format!("nobody@{here}\n"));
        }
        let done = frank
            .submit("/settings/import", &[("file", name), ("data", &data)])
            .await;
        assert_eq!(done.status, 200, "{name}: {}", done.body);
        assert!(done.body.contains("Imported "), "{}", done.body);
        if name == "blocked_accounts.csv" {
            let missed = format!("Not found or refused: nobody@{here}");
            assert!(done.body.contains(&missed), "{}", done.body);
        }
        // A follow of another server's account counts once that server accepts it.
        let expected = file(name).await;
        let frank = &frank;
        common::eventually(&format!("frank's {name} matches"), || async {
            frank.get(&format!("/settings/export/{name}")).await.body == expected
        })
        .await;
    }
    let refused = frank
        .submit(
            "/settings/import",
            &[("file", "outbox.json"), ("data", "{}")],
        )
        .await;
    assert_eq!(refused.status, 422);
    alpha.stop().await;
    beta.stop().await;
}
