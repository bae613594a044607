//! Posts, threads and replies across instances: to followers, and into a community that
//! passes its members' posts on (FEP-1b12).

mod common;

use common::{backends, eventually, follow_accepted, signed, Backend, Signer, TestServer};
use guild::federation::resolve;
use guild::service::{documents, statuses};
use guild::store::{accounts::Account, statuses as status_store};

async fn account(server: &TestServer, acct: &str) -> Account {
    resolve::account(&server.ctx().await, acct)
        .await
        .unwrap_or_else(|e| panic!("resolve {acct} on {}: {e}", server.domain))
}

async fn join(server: &TestServer, who: &str, whom: &str) {
    follow_accepted(
        server,
        account(server, who).await,
        account(server, whom).await,
    )
    .await;
}

struct Post<'a> {
    text: &'a str,
    title: Option<&'a str>,
    community: Option<&'a str>,
    reply_to: Option<&'a str>,
}

async fn post(
    server: &TestServer,
    author: &str,
    post: Post<'_>,
) -> Result<status_store::Status, guild::error::Error> {
    let author = account(server, author).await;
    let community = match post.community {
        Some(acct) => Some(account(server, acct).await),
        None => None,
    };
    let reply_to = post.reply_to.map(str::to_string);
    let (text, title) = (post.text.to_string(), post.title.map(str::to_string));
    let config = server.state.config.clone();
    let result = server
        .state
        .db
        .run(move |conn| {
            let in_reply_to_id = match reply_to {
                Some(ap_id) => Some(
                    status_store::by_ap_id(conn, &ap_id)?
                        .expect("parent is known")
                        .id,
                ),
                None => None,
            };
            let new = statuses::NewPost {
                text,
                title,
                in_reply_to_id,
                community,
                ..statuses::NewPost::new(guild::domain::Visibility::Public)
            };
            statuses::create(conn, &config, &author, new)
        })
        .await;
    result
}

/// The copy of `ap_id` stored on `server`, once it is there.
async fn arrived(server: &TestServer, ap_id: &str) -> status_store::Status {
    eventually(&format!("{ap_id} reaches {}", server.domain), || async {
        current(server, ap_id).await.is_some()
    })
    .await;
    current(server, ap_id).await.unwrap()
}

async fn current(server: &TestServer, ap_id: &str) -> Option<status_store::Status> {
    let ap_id = ap_id.to_string();
    server
        .with_db(move |conn, _| status_store::by_ap_id(conn, &ap_id))
        .await
}

#[actix_web::test]
async fn posts_threads_and_communities_across_instances() {
    for backend in backends() {
        eprintln!(
            "posts_threads_and_communities_across_instances with alpha on {}",
            backend.name()
        );
        posts_on(&backend).await;
    }
}

async fn posts_on(backend: &Backend) {
    let alpha = TestServer::start(backend).await;
    let beta = TestServer::start(&Backend::Sqlite).await;
    let gamma = TestServer::start(&Backend::Sqlite).await;
    alpha.create_user("alice", false).await;
    alpha.create_community("rust", "alice").await;
    beta.create_user("bob", false).await;
    beta.create_user("dave", false).await;
    gamma.create_user("carol", false).await;
    let alice = format!("alice@{}", alpha.domain);
    let rust = format!("rust@{}", alpha.domain);

    // A post reaches followers on other instances; edits and deletes follow it.
    join(&beta, "bob", &alice).await;
    let hello = post(
        &alpha,
        "alice",
        Post {
            text: "Hello <script>x</script>",
            title: None,
            community: None,
            reply_to: None,
        },
    )
    .await
    .unwrap();
    let copy = arrived(&beta, &hello.ap_id).await;
    assert_eq!(copy.content, "<p>Hello &lt;script&gt;x&lt;/script&gt;</p>");
    assert_eq!(copy.visibility, guild::domain::Visibility::Public);
    assert!(!copy.local);
    let fetched = alpha
        .get_json(
            &format!("/statuses/{}", hello.id),
            "application/activity+json",
        )
        .await;
    assert_eq!(fetched["type"], "Note");
    assert_eq!(fetched["attributedTo"], alpha.url("/users/alice"));
    // Served at its id in the same shape as it was sent, with nothing null.
    let hello_id = hello.id;
    let sent = alpha
        .with_db(move |conn, _| {
            let status = status_store::by_id(conn, hello_id)?.unwrap();
            documents::document(conn, &status)
        })
        .await;
    let mut served = fetched.clone();
    served.as_object_mut().unwrap().remove("@context");
    assert_eq!(served, sent);
    assert_eq!(fetched["source"]["mediaType"], "text/markdown");
    assert_eq!(fetched["mediaType"], "text/html");
    assert!(
        fetched.as_object().unwrap().values().all(|v| !v.is_null()),
        "{fetched}"
    );
    let (alice_row, hello_id) = (account(&alpha, "alice").await, hello.id);
    alpha
        .with_db(move |conn, config| {
            let change = statuses::Change {
                text: Some("Hello, edited".into()),
                ..Default::default()
            };
            statuses::edit(conn, config, &alice_row, hello_id, change).map(|_| ())
        })
        .await;
    eventually("the edit reaches beta", || async {
        current(&beta, &hello.ap_id).await.unwrap().content == "<p>Hello, edited</p>"
    })
    .await;
    // The copy keeps the time the author edited it, not the time the edit arrived.
    let original = current(&alpha, &hello.ap_id).await.unwrap().edited_at;
    let copy = current(&beta, &hello.ap_id).await.unwrap().edited_at;
    assert_eq!(
        original.map(|t| t.and_utc().timestamp_millis()),
        copy.map(|t| t.and_utc().timestamp_millis())
    );
    let alice_row = account(&alpha, "alice").await;
    alpha
        .with_db(move |conn, config| statuses::delete(conn, config, &alice_row, hello_id))
        .await;
    eventually("the delete reaches beta", || async {
        current(&beta, &hello.ap_id)
            .await
            .unwrap()
            .deleted_at
            .is_some()
    })
    .await;
    assert_eq!(
        alpha
            .get(
                &format!("/statuses/{}", hello.id),
                "application/activity+json"
            )
            .await
            .0,
        410
    );

    // A member on gamma starts a thread in alpha's community; a member on beta gets it.
    join(&beta, "bob", &rust).await;
    join(&gamma, "carol", &rust).await;
    let thread = post(
        &gamma,
        "carol",
        Post {
            text: "How do you review?",
            title: Some("Code review"),
            community: Some(&rust),
            reply_to: None,
        },
    )
    .await
    .unwrap();
    let at_alpha = arrived(&alpha, &thread.ap_id).await;
    let rust_on_alpha = account(&alpha, "rust").await;
    assert_eq!(at_alpha.community_id, Some(rust_on_alpha.id));
    let at_beta = arrived(&beta, &thread.ap_id).await;
    assert_eq!(at_beta.title.as_deref(), Some("Code review"));
    assert_eq!(at_beta.community_id, Some(account(&beta, &rust).await.id));

    // Outboxes list what was posted: the author's as Create, the community's as Announce.
    let outbox = gamma
        .get_json("/users/carol/outbox?page=true", "application/activity+json")
        .await;
    assert_eq!(outbox["orderedItems"][0]["type"], "Create");
    assert_eq!(outbox["orderedItems"][0]["object"], thread.ap_id);
    let outbox = alpha
        .get_json("/c/rust/outbox", "application/activity+json")
        .await;
    assert_eq!(outbox["totalItems"], 1);
    let page = alpha
        .get_json("/c/rust/outbox?page=true", "application/activity+json")
        .await;
    assert_eq!(page["orderedItems"][0]["type"], "Announce");
    assert_eq!(page["orderedItems"][0]["object"], thread.ap_id);
    let featured = alpha
        .get_json("/c/rust/featured", "application/activity+json")
        .await;
    assert_eq!(featured["totalItems"], 0);

    // Bob replies on beta; the reply reaches carol's instance and the community.
    let reply = post(
        &beta,
        "bob",
        Post {
            text: "In pairs.",
            title: None,
            community: None,
            reply_to: Some(&thread.ap_id),
        },
    )
    .await
    .unwrap();
    let reply_at_gamma = arrived(&gamma, &reply.ap_id).await;
    assert_eq!(reply_at_gamma.in_reply_to_id, Some(thread.id));
    let reply_at_alpha = arrived(&alpha, &reply.ap_id).await;
    assert_eq!(reply_at_alpha.community_id, Some(rust_on_alpha.id));
    eventually("the reply is counted at the origin", || async {
        current(&gamma, &thread.ap_id).await.unwrap().replies_count == 1
    })
    .await;

    // Likes and boosts from beta are counted at the origin, and withdrawn again.
    let (bob_row, thread_on_beta) = (account(&beta, "bob").await, at_beta.id);
    beta.with_db(move |conn, config| {
        guild::service::interactions::favourite(conn, config, &bob_row, thread_on_beta)?;
        guild::service::interactions::reblog(conn, config, &bob_row, thread_on_beta).map(|_| ())
    })
    .await;
    eventually("the like and the boost are counted on gamma", || async {
        let s = current(&gamma, &thread.ap_id).await.unwrap();
        (s.favourites_count, s.reblogs_count) == (1, 1)
    })
    .await;
    let bob_row = account(&beta, "bob").await;
    beta.with_db(move |conn, config| {
        guild::service::interactions::unfavourite(conn, config, &bob_row, thread_on_beta)?;
        guild::service::interactions::unreblog(conn, config, &bob_row, thread_on_beta)
    })
    .await;
    eventually("the like and the boost are withdrawn on gamma", || async {
        let s = current(&gamma, &thread.ap_id).await.unwrap();
        (s.favourites_count, s.reblogs_count) == (0, 0)
    })
    .await;

    // Someone who is not a member may not post there: refused locally and at the origin.
    let refused = post(
        &alpha,
        "alice",
        Post {
            text: "mod note",
            title: None,
            community: None,
            reply_to: None,
        },
    )
    .await;
    assert!(refused.is_ok());
    let outsider = post(
        &beta,
        "dave",
        Post {
            text: "spam",
            title: Some("Buy"),
            community: Some(&rust),
            reply_to: None,
        },
    )
    .await
    .unwrap();
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    assert!(
        current(&alpha, &outsider.ap_id).await.is_none(),
        "a non-member's thread is not stored"
    );

    // A Mastodon-style note that only mentions the community (no `audience`) becomes a post
    // in it, and the community passes it on.
    let plain = post(
        &gamma,
        "carol",
        Post {
            text: "@rust what do you use for CI?",
            title: None,
            community: None,
            reply_to: None,
        },
    )
    .await
    .unwrap();
    let carol_row = account(&gamma, "carol").await;
    let rust_id = alpha.url("/c/rust");
    let plain_id = plain.id;
    let mut note = gamma
        .with_db(move |conn, _| {
            let status = status_store::by_id(conn, plain_id)?.unwrap();
            guild::service::documents::document(conn, &status)
        })
        .await;
    note["cc"]
        .as_array_mut()
        .unwrap()
        .push(rust_id.clone().into());
    note["tag"] = serde_json::json!([{ "type": "Mention", "href": rust_id, "name": format!("@rust@{}", alpha.domain) }]);
    let create = serde_json::json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{}/activity", plain.ap_id),
        "type": "Create",
        "actor": carol_row.ap_id,
        "to": note["to"].clone(),
        "cc": note["cc"].clone(),
        "object": note,
    });
    let carol_signer = Signer {
        key_id: format!("{}#main-key", carol_row.ap_id),
        private_pem: carol_row.private_key_pem.clone().unwrap(),
    };
    assert_eq!(
        signed(&alpha, "/c/rust/inbox", &create, &carol_signer).await,
        202
    );
    let mentioned = arrived(&alpha, &plain.ap_id).await;
    assert_eq!(mentioned.community_id, Some(rust_on_alpha.id));
    arrived(&beta, &plain.ap_id).await;

    alpha.stop().await;
    beta.stop().await;
    gamma.stop().await;
}
