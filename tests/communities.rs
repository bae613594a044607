//! Communities of practice across instances, driven through the client API and Guild's
//! community API: moderators appointed on another instance remove posts everywhere, bans
//! federate and stop posting, pins, locks and reports travel, and a members-only community
//! keeps its posts from non-members through every door.

mod common;

use common::{api::Client, arrived, backends, eventually, Backend, TestServer};
use guild::store::{communities as community_store, statuses as status_store};
use reqwest::Method;
use serde_json::{json, Value};

const PASSWORD_GRANT: (&str, &str) = ("GUILD_OAUTH_PASSWORD_GRANT", "true");

async fn start(backend: &Backend) -> TestServer {
    TestServer::start_with(backend, &[PASSWORD_GRANT]).await
}

/// The account `acct` as `client`'s instance knows it (resolved through webfinger).
async fn lookup(client: &Client<'_>, acct: &str) -> Value {
    client
        .get(&format!("/api/v1/accounts/lookup?acct={acct}"))
        .await
}

fn id(value: &Value) -> String {
    value["id"].as_str().expect("an id").to_string()
}

/// `client` joins (follows) the community `acct`; returns the community's id there.
async fn join(client: &Client<'_>, acct: &str) -> String {
    let community = id(&lookup(client, acct).await);
    client
        .post(&format!("/api/v1/accounts/{community}/follow"), json!({}))
        .await;
    community
}

/// Wait until `member` (an acct) is a member of the local community `name` on `server`.
async fn wait_member(server: &TestServer, name: &str, member: &str) {
    let path = format!("/api/v1/accounts/lookup?acct={name}");
    let community = id(&server.get_json(&path, "application/json").await);
    let member = member.to_string();
    eventually(&format!("{member} is a member of {name}"), || async {
        let list = server
            .get_json(
                &format!("/api/v1/accounts/{community}/followers"),
                "application/json",
            )
            .await;
        list.as_array()
            .unwrap()
            .iter()
            .any(|a| a["acct"] == member.as_str())
    })
    .await;
}

async fn stored(server: &TestServer, uri: &str) -> Option<status_store::Status> {
    let uri = uri.to_string();
    server
        .with_db(move |conn, _| status_store::by_ap_id(conn, &uri))
        .await
}

async fn is_moderator_on(server: &TestServer, community: &str, person: &str) -> bool {
    let (community, person) = (community.to_string(), person.to_string());
    server
        .with_db(move |conn, _| {
            let c = guild::store::accounts::by_ap_id(conn, &community)?.expect("community");
            let p = guild::store::accounts::by_ap_id(conn, &person)?;
            match p {
                Some(p) => community_store::is_moderator(conn, c.id, p.id),
                None => Ok(false),
            }
        })
        .await
}

fn actor_url(server: &TestServer, path: &str) -> String {
    server.url(path)
}

#[actix_web::test]
async fn moderation_federates_across_instances() {
    for backend in backends() {
        eprintln!("community moderation with alpha on {}", backend.name());
        moderation_on(&backend).await;
    }
}

async fn moderation_on(backend: &Backend) {
    let alpha = start(backend).await;
    let beta = start(&Backend::Sqlite).await;
    let gamma = start(&Backend::Sqlite).await;
    alpha.create_user("ann", false).await;
    beta.create_user("bob", false).await;
    gamma.create_user("gil", false).await;
    gamma.create_user("carl", false).await;
    let ann = Client::password(&alpha, "ann").await;
    let bob = Client::password(&beta, "bob").await;
    let gil = Client::password(&gamma, "gil").await;
    let carl = Client::password(&gamma, "carl").await;

    // Ann creates the community through Guild's API and is its first moderator.
    let makers = ann
        .post(
            "/api/v1/guild/communities",
            json!({"name": "makers", "display_name": "Makers", "description": "We build things.",
                   "rules": ["Be kind", "Show your work"], "posting_policy": "members"}),
        )
        .await;
    assert_eq!(makers["group"], true);
    assert_eq!(makers["guild"]["moderator"], true);
    assert_eq!(makers["guild"]["rules"][1], "Show your work");
    let makers_id = id(&makers);
    let makers_acct = format!("makers@{}", alpha.domain);
    let makers_uri = actor_url(&alpha, "/c/makers");

    // Members on two other instances join; gil becomes a moderator from afar.
    join(&bob, &makers_acct).await;
    let gamma_makers = join(&gil, &makers_acct).await;
    join(&carl, &makers_acct).await;
    wait_member(&alpha, "makers", &format!("bob@{}", beta.domain)).await;
    wait_member(&alpha, "makers", &format!("gil@{}", gamma.domain)).await;
    wait_member(&alpha, "makers", &format!("carl@{}", gamma.domain)).await;
    let gil_on_alpha = id(&lookup(&ann, &format!("gil@{}", gamma.domain)).await);
    ann.post(
        &format!("/api/v1/guild/communities/{makers_id}/moderators"),
        json!({"account_id": gil_on_alpha}),
    )
    .await;
    let gil_uri = actor_url(&gamma, "/users/gil");
    eventually("gamma learns that gil moderates makers", || async {
        is_moderator_on(&gamma, &makers_uri, &gil_uri).await
    })
    .await;
    let listed = gil
        .get(&format!(
            "/api/v1/guild/communities/{gamma_makers}/moderators"
        ))
        .await;
    assert_eq!(listed.as_array().unwrap().len(), 2, "{listed}");

    // Carl's post reaches gil, on carl's own server, as the community's boost.
    let bench = carl
        .post(
            "/api/v1/statuses",
            json!({"status": format!("@{makers_acct} my workbench, finished")}),
        )
        .await;
    let bench_uri = bench["uri"].as_str().unwrap().to_string();
    eventually("gil sees carl's post boosted by makers", || async {
        gil.get("/api/v1/timelines/home")
            .await
            .as_array()
            .unwrap()
            .iter()
            .any(|s| {
                s["reblog"]["uri"] == bench_uri.as_str()
                    && s["account"]["acct"] == makers_acct.as_str()
            })
    })
    .await;

    // Bob posts into the community by mentioning it, as Mastodon apps do.
    let post = bob
        .post(
            "/api/v1/statuses",
            json!({"status": format!("@{makers_acct} buy cheap watches")}),
        )
        .await;
    let post_uri = post["uri"].as_str().unwrap().to_string();
    arrived(&alpha, &post_uri).await;
    let on_gamma = arrived(&gamma, &post_uri).await;

    // Gil removes it from gamma; alpha applies it and every member's instance hides it.
    gil.post(
        &format!("/api/v1/guild/statuses/{on_gamma}/remove"),
        json!({"reason": "spam"}),
    )
    .await;
    for server in [&alpha, &beta, &gamma] {
        eventually(
            &format!("the post is removed on {}", server.domain),
            || async {
                stored(server, &post_uri)
                    .await
                    .is_some_and(|s| s.removed_at.is_some())
            },
        )
        .await;
    }
    let anonymous_beta = Client {
        server: &beta,
        token: None,
    };
    assert_eq!(
        anonymous_beta
            .status_of(
                Method::GET,
                &format!("/api/v1/statuses/{}", id(&post)),
                None
            )
            .await,
        404
    );
    assert_eq!(
        carl.status_of(Method::GET, &format!("/api/v1/statuses/{on_gamma}"), None)
            .await,
        404,
        "another member no longer sees it"
    );
    // Its author still does, and a non-moderator cannot restore it.
    bob.get(&format!("/api/v1/statuses/{}", id(&post))).await;
    assert_eq!(
        bob.status_of(
            Method::POST,
            &format!("/api/v1/guild/statuses/{}/restore", id(&post)),
            Some(json!({}))
        )
        .await,
        403
    );

    // Ann pins and locks a thread; gamma learns both, and gil's reply is refused.
    let thread = ann
        .post(
            "/api/v1/statuses",
            json!({"status": format!("@makers Welcome, introduce yourselves"), "title": "Welcome"}),
        )
        .await;
    let thread_uri = thread["uri"].as_str().unwrap().to_string();
    let thread_on_gamma = arrived(&gamma, &thread_uri).await;
    for verb in ["pin", "lock"] {
        ann.post(
            &format!("/api/v1/guild/statuses/{}/{verb}", id(&thread)),
            json!({}),
        )
        .await;
    }
    let featured = alpha
        .get_json("/c/makers/featured", "application/activity+json")
        .await;
    assert_eq!(featured["orderedItems"][0], thread_uri.as_str());
    eventually("gamma sees the thread pinned and locked", || async {
        stored(&gamma, &thread_uri)
            .await
            .is_some_and(|s| s.pinned_at.is_some() && s.locked)
    })
    .await;
    assert_eq!(
        gil.status_of(
            Method::POST,
            "/api/v1/statuses",
            Some(json!({"status": "hello", "in_reply_to_id": thread_on_gamma.to_string()}))
        )
        .await,
        403,
        "a locked thread takes no replies"
    );

    // Carl reports a post from gamma; the report reaches makers' moderators on alpha.
    let second = bob
        .post(
            "/api/v1/statuses",
            json!({"status": format!("@{makers_acct} my first lathe project")}),
        )
        .await;
    let second_uri = second["uri"].as_str().unwrap().to_string();
    let second_on_gamma = arrived(&gamma, &second_uri).await;
    carl.post(
        &format!("/api/v1/guild/statuses/{second_on_gamma}/report"),
        json!({"comment": "looks like an ad"}),
    )
    .await;
    eventually("the report reaches alpha", || async {
        let reports = ann
            .get(&format!("/api/v1/guild/communities/{makers_id}/reports"))
            .await;
        reports
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["comment"] == "looks like an ad")
    })
    .await;

    // A Mastodon server reports to the author's server, naming the account and the post;
    // beta passes it on to the community.
    let carl_key = gamma
        .with_db(|conn, _| {
            Ok(guild::store::accounts::local_by_username(conn, "carl")?
                .and_then(|a| a.private_key_pem)
                .expect("carl's key"))
        })
        .await;
    let carl_uri = actor_url(&gamma, "/users/carl");
    let flag = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{carl_uri}#flags/1"),
        "type": "Flag",
        "actor": carl_uri,
        "content": "reported from a Mastodon app",
        "object": [actor_url(&beta, "/users/bob"), second_uri],
    });
    let signer = common::Signer {
        key_id: format!("{carl_uri}#main-key"),
        private_pem: carl_key,
    };
    assert_eq!(common::signed(&beta, "/inbox", &flag, &signer).await, 202);
    eventually("the Mastodon report reaches alpha through beta", || async {
        let reports = ann
            .get(&format!("/api/v1/guild/communities/{makers_id}/reports"))
            .await;
        reports
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["comment"] == "reported from a Mastodon app")
    })
    .await;

    // Ann bans bob: beta learns of it, his membership ends, and he can no longer post.
    let bob_on_alpha = id(&lookup(&ann, &format!("bob@{}", beta.domain)).await);
    ann.post(
        &format!("/api/v1/guild/communities/{makers_id}/bans"),
        json!({"account_id": bob_on_alpha, "reason": "advertising", "remove_content": true}),
    )
    .await;
    eventually("bob's second post is removed on gamma too", || async {
        stored(&gamma, &second_uri)
            .await
            .is_some_and(|s| s.removed_at.is_some())
    })
    .await;
    let bob_makers = id(&lookup(&bob, &makers_acct).await);
    eventually("beta learns of the ban", || async {
        let relationships = bob
            .get(&format!("/api/v1/accounts/relationships?id[]={bob_makers}"))
            .await;
        relationships[0]["following"] == false
    })
    .await;
    assert_eq!(
        bob.status_of(
            Method::POST,
            "/api/v1/statuses",
            Some(json!({"status": format!("@{makers_acct} I am back")}))
        )
        .await,
        403
    );
    assert_eq!(
        bob.status_of(
            Method::POST,
            &format!("/api/v1/accounts/{bob_makers}/follow"),
            Some(json!({}))
        )
        .await,
        403
    );

    // Gil steps down; gamma learns that too. The log tells the whole story, publicly.
    ann.call(
        Method::DELETE,
        &format!("/api/v1/guild/communities/{makers_id}/moderators/{gil_on_alpha}"),
        None,
    )
    .await;
    eventually("gamma learns that gil no longer moderates", || async {
        !is_moderator_on(&gamma, &makers_uri, &gil_uri).await
    })
    .await;
    let log = Client {
        server: &alpha,
        token: None,
    }
    .get(&format!(
        "/api/v1/guild/communities/{makers_id}/moderation_log"
    ))
    .await;
    let actions: Vec<&str> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for expected in [
        "add_moderator",
        "remove_status",
        "pin_thread",
        "lock_thread",
        "ban",
        "remove_moderator",
    ] {
        assert!(actions.contains(&expected), "{expected} in {actions:?}");
    }
    let removal = log
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "remove_status")
        .unwrap();
    assert_eq!(removal["reason"], "spam");
    // The log pages like Mastodon's lists.
    let (_, first, link) = Client {
        server: &alpha,
        token: None,
    }
    .call(
        Method::GET,
        &format!("/api/v1/guild/communities/{makers_id}/moderation_log?limit=2"),
        None,
    )
    .await;
    assert_eq!(first.as_array().unwrap().len(), 2);
    assert!(link.is_some_and(|l| l.contains("max_id=")));
    assert_eq!(
        removal["moderator"]["acct"],
        format!("gil@{}", gamma.domain)
    );
    let health = ann
        .get(&format!("/api/v1/guild/communities/{makers_id}/health"))
        .await;
    assert!(health["active_members"].as_u64().unwrap() >= 1, "{health}");
    for server in [alpha, beta, gamma] {
        server.stop().await;
    }
}

#[actix_web::test]
async fn members_only_community_keeps_its_secrets() {
    for backend in backends() {
        eprintln!("members-only community with alpha on {}", backend.name());
        members_only_on(&backend).await;
    }
}

async fn members_only_on(backend: &Backend) {
    let alpha = TestServer::start_with(
        backend,
        &[PASSWORD_GRANT, ("GUILD_COMMUNITY_CREATION", "admins")],
    )
    .await;
    let beta = start(&Backend::Sqlite).await;
    let gamma = start(&Backend::Sqlite).await;
    alpha.create_user("ann", true).await;
    alpha.create_user("carol", false).await;
    beta.create_user("bob", false).await;
    beta.create_user("dan", false).await;
    gamma.create_user("gil", false).await;
    gamma.create_user("eve", false).await;
    let ann = Client::password(&alpha, "ann").await;
    let carol = Client::password(&alpha, "carol").await;
    let bob = Client::password(&beta, "bob").await;
    let dan = Client::password(&beta, "dan").await;
    let gil = Client::password(&gamma, "gil").await;
    let eve = Client::password(&gamma, "eve").await;

    // Only administrators may create communities here.
    assert_eq!(
        carol
            .status_of(
                Method::POST,
                "/api/v1/guild/communities",
                Some(json!({"name": "carols"}))
            )
            .await,
        403
    );
    let inner = ann
        .post(
            "/api/v1/guild/communities",
            json!({"name": "inner", "visibility": "members", "membership_policy": "approval"}),
        )
        .await;
    let inner_id = id(&inner);
    let inner_acct = format!("inner@{}", alpha.domain);
    assert_eq!(inner["locked"], true);
    // A members-only community cannot be open to all.
    assert_eq!(
        ann.status_of(
            Method::PATCH,
            &format!("/api/v1/guild/communities/{inner_id}"),
            Some(json!({"membership_policy": "open"}))
        )
        .await,
        422
    );

    // Bob asks to join from beta; a moderator approves him.
    join(&bob, &inner_acct).await;
    let bob_acct = format!("bob@{}", beta.domain);
    eventually("bob's request reaches alpha", || async {
        let requests = ann
            .get(&format!(
                "/api/v1/guild/communities/{inner_id}/join_requests"
            ))
            .await;
        requests
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["acct"] == bob_acct.as_str())
    })
    .await;
    let bob_on_alpha = id(&lookup(&ann, &bob_acct).await);
    ann.post(
        &format!("/api/v1/guild/communities/{inner_id}/join_requests/{bob_on_alpha}/authorize"),
        json!({}),
    )
    .await;
    wait_member(&alpha, "inner", &bob_acct).await;

    // Ann posts; it is kept for members and reaches bob's instance only.
    let secret = ann
        .post(
            "/api/v1/statuses",
            json!({"status": format!("@inner @eve@{} the roadmap draft is in the usual place", gamma.domain), "visibility": "public"}),
        )
        .await;
    assert_eq!(secret["visibility"], "private");
    let uri = secret["uri"].as_str().unwrap().to_string();
    let on_beta = arrived(&beta, &uri).await;
    // Members see it as the community's boost, which tells them where it was posted.
    let inner_acct = format!("inner@{}", alpha.domain);
    eventually(
        "bob sees it in his home timeline, boosted by inner",
        || async {
            bob.get("/api/v1/timelines/home")
                .await
                .as_array()
                .unwrap()
                .iter()
                .any(|s| {
                    s["reblog"]["uri"] == uri.as_str()
                        && s["account"]["acct"] == inner_acct.as_str()
                })
        },
    )
    .await;
    assert!(
        stored(&gamma, &uri).await.is_none(),
        "no member lives on gamma yet, though eve there is mentioned"
    );

    // Every door stays shut to non-members.
    let path = format!("/api/v1/statuses/{}", id(&secret));
    let anonymous = Client {
        server: &alpha,
        token: None,
    };
    assert_eq!(anonymous.status_of(Method::GET, &path, None).await, 404);
    assert_eq!(carol.status_of(Method::GET, &path, None).await, 404);
    assert_eq!(
        dan.status_of(Method::GET, &format!("/api/v1/statuses/{on_beta}"), None)
            .await,
        404,
        "a non-member on the member's instance"
    );
    let public = carol.get("/api/v1/timelines/public").await;
    assert!(!public.to_string().contains(&uri), "public timeline");
    let listed = carol
        .get(&format!("/api/v1/accounts/{inner_id}/statuses"))
        .await;
    assert!(
        !listed.to_string().contains(&uri),
        "the community's statuses"
    );
    let status_path = format!("/statuses/{}", id(&secret));
    assert_eq!(
        alpha.get(&status_path, "text/html").await.0,
        404,
        "web page"
    );
    assert_eq!(
        alpha.get(&status_path, "application/activity+json").await.0,
        404,
        "unsigned fetch"
    );
    let outbox = alpha
        .get_json("/c/inner/outbox?page=true", "application/activity+json")
        .await;
    assert!(!outbox.to_string().contains(&uri), "outbox");
    let found = eve
        .get(&format!(
            "/api/v2/search?q={uri}&resolve=true&type=statuses"
        ))
        .await;
    assert_eq!(found["statuses"], json!([]), "search from another instance");
    assert!(
        stored(&gamma, &uri).await.is_none(),
        "gamma could not fetch it"
    );

    // An invite admits gil from gamma before he asks; it works once.
    let invite = ann
        .post(
            &format!("/api/v1/guild/communities/{inner_id}/invites"),
            json!({"max_uses": 1}),
        )
        .await;
    let token = invite["token"].as_str().unwrap().to_string();
    let redeem = format!("/api/v1/guild/invites/{token}");
    anonymous
        .post(&redeem, json!({"acct": format!("gil@{}", gamma.domain)}))
        .await;
    assert_eq!(
        anonymous
            .status_of(
                Method::POST,
                &redeem,
                Some(json!({"acct": format!("eve@{}", gamma.domain)}))
            )
            .await,
        410,
        "the invite is used up"
    );
    join(&gil, &inner_acct).await;
    wait_member(&alpha, "inner", &format!("gil@{}", gamma.domain)).await;

    // Now gamma holds a member: new posts reach it, but eve still sees nothing.
    let second = ann
        .post(
            "/api/v1/statuses",
            json!({"status": "@inner meeting moved to Thursday"}),
        )
        .await;
    let second_uri = second["uri"].as_str().unwrap().to_string();
    let on_gamma = arrived(&gamma, &second_uri).await;
    gil.get(&format!("/api/v1/statuses/{on_gamma}")).await;
    assert_eq!(
        eve.status_of(Method::GET, &format!("/api/v1/statuses/{on_gamma}"), None)
            .await,
        404
    );
    let gamma_inner = id(&lookup(&eve, &inner_acct).await);
    let listed = eve
        .get(&format!("/api/v1/accounts/{gamma_inner}/statuses"))
        .await;
    assert!(!listed.to_string().contains(&second_uri));
    // The community's log and health are for members too.
    assert_eq!(
        carol
            .status_of(
                Method::GET,
                &format!("/api/v1/guild/communities/{inner_id}/moderation_log"),
                None
            )
            .await,
        404
    );
    for server in [alpha, beta, gamma] {
        server.stop().await;
    }
}

#[actix_web::test]
async fn posting_and_joining_policies() {
    let alpha = start(&Backend::Sqlite).await;
    for name in ["ann", "carol", "dan", "erin"] {
        alpha.create_user(name, false).await;
    }
    let ann = Client::password(&alpha, "ann").await;
    let carol = Client::password(&alpha, "carol").await;
    let dan = Client::password(&alpha, "dan").await;
    let create = |name: &str, settings: Value| {
        let mut body = settings;
        body["name"] = Value::from(name);
        body
    };
    let post_in = |community: &str| json!({"status": format!("@{community} hello")});

    // Moderators only: a member is refused, the moderator posts.
    let news = ann
        .post(
            "/api/v1/guild/communities",
            create("news", json!({"posting_policy": "moderators"})),
        )
        .await;
    join(&carol, "news").await;
    assert_eq!(
        ann.get(&format!("/api/v1/guild/communities/{}", id(&news)))
            .await["guild"]["posting_policy"],
        "moderators"
    );
    assert_eq!(
        carol
            .status_of(Method::POST, "/api/v1/statuses", Some(post_in("news")))
            .await,
        403
    );
    ann.post("/api/v1/statuses", post_in("news")).await;

    // Members (the default): a non-member is refused until they join.
    ann.post("/api/v1/guild/communities", create("makers", json!({})))
        .await;
    assert_eq!(
        dan.status_of(Method::POST, "/api/v1/statuses", Some(post_in("makers")))
            .await,
        403
    );
    join(&dan, "makers").await;
    let makers_post = dan.post("/api/v1/statuses", post_in("makers")).await;

    // Turning members-only takes the earlier posts in too.
    let anonymous = Client {
        server: &alpha,
        token: None,
    };
    let makers_path = format!("/api/v1/statuses/{}", id(&makers_post));
    assert_eq!(
        anonymous.status_of(Method::GET, &makers_path, None).await,
        200
    );
    let makers_id = id(&lookup(&ann, "makers").await);
    let settings = json!({"visibility": "members", "membership_policy": "approval"});
    let (status, _, _) = ann
        .call(
            Method::PATCH,
            &format!("/api/v1/guild/communities/{makers_id}"),
            Some(settings),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        anonymous.status_of(Method::GET, &makers_path, None).await,
        404
    );
    assert_eq!(dan.get(&makers_path).await["visibility"], "private");

    // Anyone: no membership needed.
    ann.post(
        "/api/v1/guild/communities",
        create("open_mic", json!({"posting_policy": "anyone"})),
    )
    .await;
    dan.post("/api/v1/statuses", post_in("open_mic")).await;

    // Invite only: asking leaves one waiting; an invite lets a signed-in person in at once.
    let circle = ann
        .post(
            "/api/v1/guild/communities",
            create("circle", json!({"membership_policy": "invite"})),
        )
        .await;
    let circle_id = id(&circle);
    join(&dan, "circle").await;
    let seen_by_dan = dan
        .get(&format!("/api/v1/guild/communities/{circle_id}"))
        .await;
    assert_eq!(seen_by_dan["guild"]["requested"], true);
    assert_eq!(seen_by_dan["guild"]["member"], false);
    let invite = ann
        .post(
            &format!("/api/v1/guild/communities/{circle_id}/invites"),
            json!({"expires_in": 3600}),
        )
        .await;
    let joined = carol
        .post(
            &format!(
                "/api/v1/guild/invites/{}",
                invite["token"].as_str().unwrap()
            ),
            json!({}),
        )
        .await;
    assert_eq!(joined["guild"]["member"], true);
    assert_eq!(
        carol
            .status_of(
                Method::POST,
                "/api/v1/guild/invites/not-a-token",
                Some(json!({}))
            )
            .await,
        404
    );
    // The invite's web page: a handle given there is let in when its owner joins.
    let second = ann
        .post(
            &format!("/api/v1/guild/communities/{circle_id}/invites"),
            json!({}),
        )
        .await;
    let page = format!("/invite/{}", second["token"].as_str().unwrap());
    assert_eq!(second["url"], alpha.url(&page));
    let (status, html) = alpha.get(&page, "text/html").await;
    assert_eq!(status, 200);
    assert!(html.contains("You are invited to circle"), "{html}");
    assert_eq!(alpha.get("/invite/not-a-token", "text/html").await.0, 404);
    let browser = common::forms::FormClient::new(&alpha);
    browser.get(&page).await;
    let used = browser.submit(&page, &[("acct", "erin")]).await;
    assert_eq!(used.status, 200, "{}", used.body);
    assert!(used.body.contains("You are in"));
    let erin = Client::password(&alpha, "erin").await;
    let standing = erin
        .get(&format!("/api/v1/guild/communities/{circle_id}"))
        .await;
    assert_eq!(standing["guild"]["member"], false, "not before she joins");
    join(&erin, "circle").await;
    let standing = erin
        .get(&format!("/api/v1/guild/communities/{circle_id}"))
        .await;
    assert_eq!(
        standing["guild"]["member"], true,
        "at once, without a moderator"
    );
    // Moderators decide on the waiting request; a non-moderator may not.
    let dan_id = id(&dan.get("/api/v1/accounts/verify_credentials").await);
    let authorize =
        format!("/api/v1/guild/communities/{circle_id}/join_requests/{dan_id}/authorize");
    assert_eq!(
        carol
            .status_of(Method::POST, &authorize, Some(json!({})))
            .await,
        403
    );
    ann.post(&authorize, json!({})).await;
    assert_eq!(
        dan.get(&format!("/api/v1/guild/communities/{circle_id}"))
            .await["guild"]["member"],
        true
    );
    // A moderator gives the community an avatar, sent as a multipart upload.
    let mut body = b"--b0\r\nContent-Disposition: form-data; name=\"avatar\"; filename=\"c.png\"\r\nContent-Type: image/png\r\n\r\n".to_vec();
    let png = {
        let mut out = std::io::Cursor::new(Vec::new());
        image::RgbaImage::from_pixel(12, 12, image::Rgba([30, 90, 200, 255]))
            .write_to(&mut out, image::ImageFormat::Png)
            .unwrap();
        out.into_inner()
    };
    body.extend(&png);
    body.extend(b"\r\n--b0--\r\n");
    let updated: Value = alpha
        .http
        .patch(alpha.url(&format!("/api/v1/guild/communities/{circle_id}")))
        .bearer_auth(ann.token.as_deref().unwrap())
        .header("Content-Type", "multipart/form-data; boundary=b0")
        .body(body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let avatar = updated["avatar"].as_str().unwrap().to_string();
    assert!(avatar.contains("/media/"), "{updated}");
    let served = alpha.http.get(&avatar).send().await.unwrap();
    assert_eq!(served.headers()["content-type"], "image/png");
    let kept = image::load_from_memory(&served.bytes().await.unwrap()).unwrap();
    assert_eq!(
        (kept.width(), kept.height()),
        (12, 12),
        "the image, encoded again"
    );
    let actor = alpha
        .get_json("/c/circle", "application/activity+json")
        .await;
    assert_eq!(actor["icon"]["url"], avatar.as_str());
    // Communities show up in the directory with their figures.
    let listed = dan.get("/api/v1/guild/communities").await;
    assert_eq!(listed.as_array().unwrap().len(), 4, "{listed}");
    assert!(listed[0]["guild"]["health"]["threads_per_week"].is_number());
    let directory = dan.get("/api/v1/directory?local=true").await;
    assert!(directory
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a["acct"] == "circle" && a["group"] == true));
    alpha.stop().await;
}
