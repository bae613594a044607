//! An independent ActivityPub implementation as a peer: `tests/js/fedify-peer.test.mjs` runs a
//! Fedify server whose person joins, posts into and is moderated in Guild communities, and
//! is kept out of a members-only one.

mod common;

use common::{node, Backend, TestServer};

#[actix_web::test]
async fn fedify_peer() {
    let alpha =
        TestServer::start_with(&Backend::Sqlite, &[("GUILD_OAUTH_PASSWORD_GRANT", "true")]).await;
    alpha.create_user("ann", false).await;
    alpha.create_user("gwen", false).await;
    alpha.create_community("makers", "ann").await;
    alpha
        .with_db(|conn, config| {
            let ann = guild::store::accounts::local_by_username(conn, "ann")?.expect("ann");
            let settings = guild::service::communities::SettingsChange {
                visibility: Some(guild::domain::CommunityVisibility::Members),
                membership_policy: Some(guild::domain::MembershipPolicy::Approval),
                ..Default::default()
            };
            guild::service::communities::create(conn, config, &ann, false, "inner", settings)
                .map(|_| ())
        })
        .await;
    node::run(
        "fedify-peer.test.mjs",
        vec![("GUILD_ALPHA", alpha.base.clone())],
    )
    .await;
    alpha.stop().await;
}
