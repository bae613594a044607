//! Profile changes travel at once, both ways: a person's or a community's new name reaches
//! the servers that follow or belong, addressed so that independent servers take it; and
//! deletions go out addressed as the post was.

mod common;

use common::{backends, eventually, follow_accepted, public_post, Backend, TestServer};
use guild::federation::resolve;
use guild::service::{accounts as account_service, communities, statuses};
use guild::store::accounts;

#[actix_web::test]
async fn profile_changes_travel_at_once() {
    for backend in backends() {
        eprintln!("profile_changes_travel_at_once on {}", backend.name());
        profiles_on(&backend).await;
    }
}

/// The newest outbound activity of `kind` on `server`, as sent.
async fn last_sent(server: &TestServer, kind: &str) -> serde_json::Value {
    let kind = kind.to_string();
    let data: String = server
        .with_db(move |conn, _| {
            use diesel::prelude::*;
            use guild::db::schema::activities::dsl;
            Ok(dsl::activities
                .filter(dsl::kind.eq(kind))
                .order(dsl::id.desc())
                .select(dsl::data)
                .first(conn)?)
        })
        .await;
    serde_json::from_str(&data).unwrap()
}

async fn profiles_on(backend: &Backend) {
    let alpha = TestServer::start(&Backend::Sqlite).await;
    let beta = TestServer::start_with(backend, &[("GUILD_OAUTH_PASSWORD_GRANT", "true")]).await;
    alpha.create_user("alice", false).await;
    alpha.create_user("dora", false).await;
    alpha.create_community("crafts", "alice").await;
    beta.create_user("bob", false).await;
    let bob = beta
        .with_db(|conn, _| accounts::local_by_username(conn, "bob"))
        .await
        .unwrap();
    for name in ["alice", "crafts"] {
        let remote = resolve::account(&beta.ctx().await, &format!("{name}@{}", alpha.domain))
            .await
            .unwrap();
        follow_accepted(&beta, bob.clone(), remote).await;
    }
    let copy_name = |name: &'static str| {
        let acct = format!("{name}@{}", alpha.domain);
        let beta = &beta;
        async move {
            beta.with_db(move |conn, _| {
                let (user, domain) = acct.split_once('@').unwrap();
                accounts::by_acct(conn, user, Some(domain))
            })
            .await
            .unwrap()
            .profile
            .display_name
        }
    };

    // A person renames herself: her followers' server has the new name at once.
    alpha
        .with_db(|conn, config| {
            let alice = accounts::local_by_username(conn, "alice")?.unwrap();
            let changes = account_service::ProfileChanges {
                display_name: Some("Alice Aardvark".into()),
                ..Default::default()
            };
            account_service::update_profile(conn, config, &alice, changes)
        })
        .await;
    let update = last_sent(&alpha, "Update").await;
    assert_eq!(
        update["to"][0],
        "https://www.w3.org/ns/activitystreams#Public"
    );
    assert_eq!(update["cc"][0], alpha.url("/users/alice/followers"));
    eventually("beta has alice's new name", || async {
        copy_name("alice").await == "Alice Aardvark"
    })
    .await;

    // A community's moderator renames it: its members' servers follow.
    alpha
        .with_db(|conn, config| {
            let alice = accounts::local_by_username(conn, "alice")?.unwrap();
            let crafts = accounts::local_by_username(conn, "crafts")?.unwrap();
            let change = communities::SettingsChange {
                display_name: Some("Crafts and making".into()),
                ..Default::default()
            };
            communities::update(conn, config, Some(&alice), &crafts, change)
        })
        .await;
    eventually("beta has the community's new name", || async {
        copy_name("crafts").await == "Crafts and making"
    })
    .await;

    // A deletion is addressed as the post was, so that every peer applies it.
    alpha
        .with_db(|conn, config| {
            let alice = accounts::local_by_username(conn, "alice")?.unwrap();
            let post = statuses::create(conn, config, &alice, public_post("soon gone"))?;
            statuses::delete(conn, config, &alice, post.id)
        })
        .await;
    let delete = last_sent(&alpha, "Delete").await;
    assert_eq!(
        delete["to"][0],
        "https://www.w3.org/ns/activitystreams#Public"
    );
    assert_eq!(delete["object"]["type"], "Tombstone");
    assert_eq!(delete["object"]["to"], delete["to"]);

    // Searching for a person by their actor URL finds them, fetched when first asked.
    let bob_app = common::api::Client::password(&beta, "bob").await;
    let dora_url = alpha.url("/users/dora");
    let query: String = url::form_urlencoded::byte_serialize(dora_url.as_bytes()).collect();
    let found = bob_app
        .get(&format!(
            "/api/v2/search?q={query}&resolve=true&type=accounts"
        ))
        .await;
    assert_eq!(
        found["accounts"][0]["acct"],
        format!("dora@{}", alpha.domain),
        "{found}"
    );

    alpha.stop().await;
    beta.stop().await;
}
