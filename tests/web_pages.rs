//! Reading and writing in a browser without an app: the front page, a community's page and
//! threads, joining, starting a thread, replying, and a moderator's removal, with
//! members-only communities kept from everyone else.

mod common;

use common::{api::Client, backends, eventually, forms::FormClient, Backend, TestServer};
use serde_json::json;

#[actix_web::test]
async fn moderators_in_the_browser() {
    for backend in backends() {
        eprintln!("moderators_in_the_browser on {}", backend.name());
        moderation_on(&backend).await;
    }
}

#[actix_web::test]
async fn administrators_in_the_browser() {
    for backend in backends() {
        eprintln!("administrators_in_the_browser on {}", backend.name());
        administration_on(&backend).await;
    }
}

#[actix_web::test]
async fn following_across_servers_in_the_browser() {
    for backend in backends() {
        eprintln!(
            "following_across_servers_in_the_browser on {}",
            backend.name()
        );
        across_on(&backend).await;
    }
}

#[actix_web::test]
async fn private_posts_stay_private_on_every_page() {
    for backend in backends() {
        eprintln!(
            "private_posts_stay_private_on_every_page on {}",
            backend.name()
        );
        privacy_on(&backend).await;
    }
}

#[actix_web::test]
async fn communities_in_the_browser() {
    for backend in backends() {
        eprintln!("communities_in_the_browser on {}", backend.name());
        pages_on(&backend).await;
    }
}

/// The id of the post a form sent the browser to (`/statuses/{root}#s{id}` or
/// `/statuses/{id}`).
fn post_id(location: &str) -> String {
    let after = location.rsplit_once("#s").map(|(_, id)| id);
    after
        .unwrap_or_else(|| location.trim_start_matches("/statuses/"))
        .to_string()
}

async fn pages_on(backend: &Backend) {
    let server = TestServer::start_with(backend, &[("GUILD_OAUTH_PASSWORD_GRANT", "true")]).await;
    for name in ["ann", "bob", "cid"] {
        server.create_user(name, false).await;
    }
    server.create_community("platform", "ann").await;
    let ann_api = Client::password(&server, "ann").await;
    let inner = ann_api
        .post(
            "/api/v1/guild/communities",
            json!({"name": "inner", "visibility": "members", "membership_policy": "approval"}),
        )
        .await;
    assert_eq!(inner["guild"]["visibility"], "members", "{inner}");

    let ann = FormClient::signed_in(&server, "ann").await;
    let bob = FormClient::signed_in(&server, "bob").await;
    let cid = FormClient::signed_in(&server, "cid").await;
    let anonymous = FormClient::new(&server);

    // The front page lists public communities to all, members-only ones to their members.
    let front = anonymous.get("/").await.body;
    assert!(front.contains("href=\"/c/platform\""), "{front}");
    assert!(!front.contains("/c/inner"), "{front}");
    assert!(ann.get("/").await.body.contains("/c/inner"));

    // Bob joins, and may then start a thread; a join without the form's token is refused.
    let forged = bob.post_raw("/c/platform/join", &[], None).await;
    assert_eq!(forged.status, 403);
    let page = bob.get("/c/platform").await.body;
    assert!(page.contains("action=\"/c/platform/join\""), "{page}");
    assert!(!page.contains("Start the thread"));
    assert_eq!(bob.submit("/c/platform/join", &[]).await.status, 303);
    let page = bob.get("/c/platform").await.body;
    assert!(
        page.contains("Leave") && page.contains("Start the thread"),
        "{page}"
    );
    let started = bob
        .submit(
            "/c/platform/threads",
            &[
                ("title", "Build caches <b>shared</b>?"),
                ("text", "How do we share build caches?"),
            ],
        )
        .await;
    assert_eq!(started.status, 303, "{}", started.body);
    let thread_path = started.location.unwrap();
    let thread_id = post_id(&thread_path);

    // The thread is listed on the community's page, its title escaped, for anyone.
    let listed = anonymous.get("/c/platform").await.body;
    assert!(
        listed.contains("Build caches &#60;b&#62;shared&#60;/b&#62;?"),
        "{listed}"
    );
    assert!(listed.contains(&format!("href=\"/statuses/{thread_id}\"")));

    // Replies: ann answers the thread, cid joins and answers ann, threaded under her.
    assert_eq!(cid.submit("/c/platform/join", &[]).await.status, 303);
    let reply = |who: &'static str, to: String, text: &'static str| {
        let browser = match who {
            "ann" => &ann,
            "bob" => &bob,
            _ => &cid,
        };
        async move {
            let answer = browser
                .submit(&format!("/statuses/{to}/reply"), &[("text", text)])
                .await;
            assert_eq!(answer.status, 303, "{}", answer.body);
            post_id(&answer.location.unwrap())
        }
    };
    let ann_reply = reply("ann", thread_id.clone(), "Use the shared bucket.").await;
    let cid_reply = reply(
        "cid",
        ann_reply.clone(),
        "Which bucket? <script>x()</script>",
    )
    .await;
    let thread = anonymous.get(&thread_path).await.body;
    let (ann_at, cid_at) = (
        thread.find("Use the shared bucket.").expect("ann's reply"),
        thread.find("Which bucket?").expect("cid's reply"),
    );
    assert!(ann_at < cid_at);
    assert!(
        thread.contains(&format!("class=\"post depth-2\" id=\"s{cid_reply}\"")),
        "{thread}"
    );
    assert!(!thread.contains("<script>x()"), "{thread}");

    // The moderator removes cid's reply: gone for everyone but no longer on the page.
    let thread_for_ann = ann.get(&thread_path).await.body;
    assert!(thread_for_ann.contains(&format!("/statuses/{cid_reply}/remove")));
    let bob_thread = bob.get(&thread_path).await.body;
    assert!(
        !bob_thread.contains("/remove\""),
        "only moderators may remove"
    );
    let refused = bob
        .submit(&format!("/statuses/{cid_reply}/remove"), &[])
        .await;
    assert_eq!(refused.status, 403);
    let removed = ann
        .submit(&format!("/statuses/{cid_reply}/remove"), &[])
        .await;
    assert_eq!(removed.status, 303, "{}", removed.body);
    for browser in [&anonymous, &bob, &cid] {
        let thread = browser.get(&thread_path).await.body;
        assert!(thread.contains("Use the shared bucket."));
        assert!(!thread.contains("Which bucket?"), "{thread}");
        assert!(
            thread.contains(">1 reply ·"),
            "counts what is shown: {thread}"
        );
        assert_eq!(
            browser.get(&format!("/statuses/{cid_reply}")).await.status,
            404
        );
    }

    // Bob edits his thread; ann favourites and boosts it, then takes the favourite back.
    let form = bob.get(&format!("/statuses/{thread_id}/edit")).await;
    assert!(
        form.body.contains("How do we share build caches?"),
        "{}",
        form.body
    );
    assert_eq!(
        ann.get(&format!("/statuses/{thread_id}/edit")).await.status,
        404
    );
    let edited = bob
        .submit(
            &format!("/statuses/{thread_id}/edit"),
            &[
                ("title", "Sharing build caches"),
                ("text", "How do we share them?"),
            ],
        )
        .await;
    assert_eq!(edited.status, 303, "{}", edited.body);
    let page = anonymous.get(&thread_path).await.body;
    assert!(page.contains("<h1>Sharing build caches</h1>") && page.contains("share them?"));
    for verb in ["favourite", "boost"] {
        let done = ann
            .submit(&format!("/statuses/{thread_id}/{verb}"), &[])
            .await;
        assert_eq!(done.status, 303, "{verb}: {}", done.body);
    }
    let page = ann.get(&thread_path).await.body;
    assert!(
        page.contains(">Unfavourite<") && page.contains(">Unboost<"),
        "{page}"
    );
    assert!(
        page.contains("1 favourite<") || page.contains("1 favourite "),
        "{page}"
    );
    ann.submit(&format!("/statuses/{thread_id}/unfavourite"), &[])
        .await;
    assert!(ann.get(&thread_path).await.body.contains(">Favourite<"));

    // A newer thread comes first among the newest; the older one, just answered, among the
    // most active.
    let newer = bob
        .submit(
            "/c/platform/threads",
            &[("title", "Release train"), ("text", "Dates?")],
        )
        .await;
    assert_eq!(newer.status, 303);
    reply("cid", thread_id.clone(), "Still relevant").await;
    let order = |page: &str| {
        let (caches, train) = (
            page.find("Sharing build caches"),
            page.find("Release train"),
        );
        caches.unwrap() < train.unwrap()
    };
    assert!(!order(&anonymous.get("/c/platform").await.body));
    assert!(order(&anonymous.get("/c/platform?sort=active").await.body));
    // The front page lists each community's most active threads.
    let front = anonymous.get("/").await.body;
    assert!(order(&front), "{front}");

    // Bob deletes his own thread; its page is gone.
    let deleted = bob
        .submit(&format!("/statuses/{thread_id}/delete"), &[])
        .await;
    assert_eq!(deleted.status, 303);
    assert_eq!(deleted.location.as_deref(), Some("/c/platform"));
    assert_eq!(anonymous.get(&thread_path).await.status, 404);

    // A members-only community shows its threads to members alone.
    let secret = ann
        .submit(
            "/c/inner/threads",
            &[("title", "Reorg plans"), ("text", "Draft attached soon.")],
        )
        .await;
    assert_eq!(secret.status, 303, "{}", secret.body);
    let secret_path = secret.location.unwrap();
    assert!(ann.get("/c/inner").await.body.contains("Reorg plans"));
    assert!(ann.get("/").await.body.contains("Reorg plans"));
    assert!(!bob.get("/").await.body.contains("Reorg plans"));
    for outsider in [&anonymous, &bob] {
        let page = outsider.get("/c/inner").await.body;
        assert!(page.contains("Only members see"), "{page}");
        assert!(!page.contains("Reorg plans"));
        assert_eq!(outsider.get(&secret_path).await.status, 404);
    }
    // Nor can he act on it by its address.
    let secret_id = post_id(&secret_path);
    for verb in ["favourite", "boost", "reply"] {
        let fields: &[(&str, &str)] = match verb {
            "reply" => &[("text", "let me in")],
            _ => &[],
        };
        let refused = bob
            .submit(&format!("/statuses/{secret_id}/{verb}"), fields)
            .await;
        assert_eq!(refused.status, 404, "{verb}: {}", refused.body);
    }
    let profile = anonymous.get("/users/ann").await.body;
    assert!(profile.contains("Use the shared bucket."), "{profile}");
    assert!(!profile.contains("Draft attached soon."), "{profile}");
    server.stop().await;
}

async fn moderation_on(backend: &Backend) {
    let server = TestServer::start(backend).await;
    for name in ["ann", "bob", "cid"] {
        server.create_user(name, false).await;
    }
    server.create_community("platform", "ann").await;
    let (ann, bob, cid) = (
        FormClient::signed_in(&server, "ann").await,
        FormClient::signed_in(&server, "bob").await,
        FormClient::signed_in(&server, "cid").await,
    );
    let anonymous = FormClient::new(&server);

    // Only moderators reach the moderators' page.
    assert_eq!(bob.get("/c/platform/moderation").await.status, 403);
    assert_eq!(anonymous.get("/c/platform/moderation").await.status, 401);
    let page = ann.get("/c/platform/moderation").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Nobody is waiting."));

    // Settings: rules and an approval step, shown on the community's page.
    let saved = ann
        .submit(
            "/c/platform/moderation/settings",
            &[
                ("description", "Build & deploy people"),
                ("rules", "Be kind\n\nShare what you learn"),
                ("membership", "approval"),
                ("posting", "members"),
                ("visibility", "public"),
            ],
        )
        .await;
    assert_eq!(saved.status, 200, "{}", saved.body);
    let community = anonymous.get("/c/platform").await.body;
    assert!(
        community.contains("<li>Be kind</li><li>Share what you learn</li>"),
        "{community}"
    );
    assert!(
        community.contains("Build &amp; deploy people"),
        "{community}"
    );

    // A join request waits for a moderator, who lets bob in from the page.
    bob.submit("/c/platform/join", &[]).await;
    assert!(bob
        .get("/c/platform")
        .await
        .body
        .contains("You asked to join"));
    let page = ann.get("/c/platform/moderation").await.body;
    assert!(page.contains(&format!("@bob@{}", server.domain)), "{page}");
    let bob_id = between(&page, "/c/platform/moderation/approve/", "\"");
    let approved = ann
        .submit(&format!("/c/platform/moderation/approve/{bob_id}"), &[])
        .await;
    assert_eq!(approved.status, 200, "{}", approved.body);
    assert!(bob
        .get("/c/platform")
        .await
        .body
        .contains("Start the thread"));

    // Ann appoints bob a moderator, and takes it back; the last moderator cannot step down.
    let appointed = ann
        .submit("/c/platform/moderation/appoint", &[("handle", "bob")])
        .await;
    assert_eq!(appointed.status, 200, "{}", appointed.body);
    assert_eq!(bob.get("/c/platform/moderation").await.status, 200);
    let dismissed = ann
        .submit(&format!("/c/platform/moderation/dismiss/{bob_id}"), &[])
        .await;
    assert_eq!(dismissed.status, 200, "{}", dismissed.body);
    assert_eq!(bob.get("/c/platform/moderation").await.status, 403);
    let ann_id = between(&dismissed.body, "/c/platform/moderation/dismiss/", "\"");
    let last = ann
        .submit(&format!("/c/platform/moderation/dismiss/{ann_id}"), &[])
        .await;
    assert_eq!(last.status, 422, "{}", last.body);
    assert_eq!(ann.get("/c/platform/moderation").await.status, 200);

    // Lock and pin a thread from its page.
    let thread = bob
        .submit(
            "/c/platform/threads",
            &[("title", "Flaky tests"), ("text", "Which ones?")],
        )
        .await
        .location
        .unwrap();
    let id = post_id(&thread);
    assert!(
        !bob.get(&thread).await.body.contains("/lock\""),
        "only moderators lock"
    );
    for verb in ["lock", "pin"] {
        let done = ann.submit(&format!("/statuses/{id}/{verb}"), &[]).await;
        assert_eq!(done.status, 303, "{verb}: {}", done.body);
    }
    let locked = bob.get(&thread).await.body;
    assert!(locked.contains("takes no new replies"), "{locked}");
    let refused = bob
        .submit(&format!("/statuses/{id}/reply"), &[("text", "late")])
        .await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert!(anonymous.get("/c/platform").await.body.contains("· pinned"));

    // A ban by handle keeps cid from joining; lifting it lets him ask again.
    let banned = ann
        .submit(
            "/c/platform/moderation/ban",
            &[("handle", "cid"), ("reason", "spam"), ("days", "7")],
        )
        .await;
    assert_eq!(banned.status, 200, "{}", banned.body);
    assert!(banned
        .body
        .contains(&format!("@cid@{}: spam (until", server.domain)));
    let refused = cid.submit("/c/platform/join", &[]).await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    let bad_days = ann
        .submit(
            "/c/platform/moderation/ban",
            &[("handle", "bob"), ("days", "soon")],
        )
        .await;
    assert_eq!(bad_days.status, 422);
    assert!(bad_days.body.contains("whole number"));
    let nobody = ann
        .submit("/c/platform/moderation/ban", &[("handle", "nobody_here")])
        .await;
    assert_eq!(nobody.status, 422);
    assert!(nobody.body.contains("No account"), "{}", nobody.body);
    let not_theirs = cid
        .submit("/c/platform/moderation/ban", &[("handle", "ann")])
        .await;
    assert_eq!(not_theirs.status, 403, "{}", not_theirs.body);

    // An invite link is shown once and works.
    let invited = ann
        .submit("/c/platform/moderation/invite", &[("max_uses", "2")])
        .await;
    let link = between(&invited.body, "shown this once: <code>", "</code>");
    let path = link.strip_prefix(&server.base).unwrap().to_string();
    assert!(anonymous.get(&path).await.body.contains("You are invited"));
    // Someone new signs up through it, without waiting for approval (registrations need it
    // here), and is a member at once; a person signed in here joins with a button.
    let newcomer = FormClient::new(&server);
    newcomer.get(&path).await;
    let fields = [
        ("username", "nell"),
        ("email", "nell@example.org"),
        ("password", "long enough"),
    ];
    let joined = newcomer.submit(&format!("{path}/sign-up"), &fields).await;
    assert_eq!(joined.status, 303, "{}", joined.body);
    assert_eq!(joined.location.as_deref(), Some("/c/platform"));
    assert!(newcomer.get("/c/platform").await.body.contains(">Leave<"));
    server.create_user("dan", false).await;
    let dan = FormClient::signed_in(&server, "dan").await;
    let button = dan.get(&path).await.body;
    assert!(button.contains("Join platform as @dan"), "{button}");
    let joined = dan.submit(&path, &[("acct", "dan")]).await;
    assert_eq!(joined.status, 303, "{}", joined.body);
    assert!(dan.get("/c/platform").await.body.contains(">Leave<"));
    // Both uses are spent.
    let spent = FormClient::new(&server);
    assert_eq!(spent.get(&path).await.status, 404);

    // The log tells what happened, and a removed reply can be restored from it.
    ann.submit(&format!("/statuses/{id}/unlock"), &[]).await;
    let reply = bob
        .submit(&format!("/statuses/{id}/reply"), &[("text", "Mine flake")])
        .await;
    let reply_id = post_id(&reply.location.unwrap());
    ann.submit(&format!("/statuses/{reply_id}/remove"), &[])
        .await;
    assert!(!anonymous.get(&thread).await.body.contains("Mine flake"));
    let log = anonymous.get("/c/platform/log").await.body;
    for entry in [
        "locked a thread",
        "pinned a thread",
        "banned",
        "removed a post",
        "let in",
    ] {
        assert!(log.contains(entry), "{entry}: {log}");
    }
    assert!(!log.contains("/restore"), "only moderators restore");
    let log = ann.get("/c/platform/log").await.body;
    assert!(
        log.contains(&format!("/statuses/{reply_id}/restore")),
        "{log}"
    );
    let restored = ann
        .submit(&format!("/statuses/{reply_id}/restore"), &[])
        .await;
    assert_eq!(restored.status, 303);
    assert!(anonymous.get(&thread).await.body.contains("Mine flake"));
    server.stop().await;
}

/// The text in `page` between `start` and the next `end`.
fn between(page: &str, start: &str, end: &str) -> String {
    let from = page
        .split(start)
        .nth(1)
        .unwrap_or_else(|| panic!("{start:?} in {page}"));
    from.split(end).next().unwrap().to_string()
}

async fn administration_on(backend: &Backend) {
    let server = TestServer::start_with(backend, &[("GUILD_REGISTRATIONS", "approval")]).await;
    server.create_user("root", true).await;
    server.create_user("bob", false).await;
    let (root, bob) = (
        FormClient::signed_in(&server, "root").await,
        FormClient::signed_in(&server, "bob").await,
    );
    assert!(root.get("/").await.body.contains("href=\"/admin\""));
    assert!(!bob.get("/").await.body.contains("href=\"/admin\""));
    assert_eq!(bob.get("/admin").await.status, 403);
    assert_eq!(
        bob.submit(
            "/admin/policy",
            &[("domain", "x.example"), ("policy", "suspend")]
        )
        .await
        .status,
        403
    );

    // Two sign-ups wait; one is approved and may sign in, the other is turned away.
    for name in ["emil", "fred"] {
        let newcomer = FormClient::new(&server);
        newcomer.get("/sign-up").await;
        let email = format!("{name}@example.org");
        newcomer
            .submit(
                "/sign-up",
                &[
                    ("username", name),
                    ("email", &email),
                    ("password", "long enough"),
                ],
            )
            .await;
    }
    let page = root.get("/admin").await.body;
    assert!(
        page.contains("emil · emil@example.org") && page.contains("fred"),
        "{page}"
    );
    let approved = root.submit("/admin/approve", &[("username", "emil")]).await;
    assert!(
        approved.body.contains("emil may sign in now."),
        "{}",
        approved.body
    );
    let rejected = root.submit("/admin/reject", &[("username", "fred")]).await;
    assert!(rejected.body.contains("fred was turned away."));
    assert!(rejected.body.contains("Nobody is waiting."));
    let emil = FormClient::new(&server);
    emil.get("/sign-in").await;
    let answer = emil
        .submit(
            "/sign-in",
            &[("username", "emil"), ("password", "long enough")],
        )
        .await;
    assert_eq!(answer.status, 303);
    let fred = FormClient::new(&server);
    fred.get("/sign-in").await;
    let answer = fred
        .submit(
            "/sign-in",
            &[("username", "fred"), ("password", "long enough")],
        )
        .await;
    assert_eq!(answer.status, 401);

    // Domain policies: set, shown, refused when empty, lifted.
    let set = root
        .submit(
            "/admin/policy",
            &[
                ("domain", "Spam.Example"),
                ("policy", "suspend"),
                ("reason", "spam"),
            ],
        )
        .await;
    assert!(
        set.body
            .contains("<td>spam.example</td><td>suspend</td><td>spam</td>"),
        "{}",
        set.body
    );
    let policy = server
        .with_db(|conn, _| guild::store::policies::list(conn))
        .await;
    assert_eq!(policy.len(), 1);
    let bad = root
        .submit("/admin/policy", &[("domain", "a/b"), ("policy", "silence")])
        .await;
    assert_eq!(bad.status, 422);
    let lifted = root
        .submit("/admin/lift", &[("domain", "spam.example")])
        .await;
    assert!(lifted.body.contains("No policies"), "{}", lifted.body);
    server.stop().await;
}

async fn across_on(backend: &Backend) {
    let password_grant = [("GUILD_OAUTH_PASSWORD_GRANT", "true")];
    let alpha = TestServer::start_with(backend, &password_grant).await;
    let beta = TestServer::start_with(&Backend::Sqlite, &password_grant).await;
    alpha.create_user("ann", false).await;
    alpha.create_user("anton", false).await;
    beta.create_user("bob", false).await;
    beta.create_community("guild_of_ops", "bob").await;
    let ann = FormClient::signed_in(&alpha, "ann").await;
    let anonymous = FormClient::new(&alpha);

    // A name finds local people; a handle from elsewhere is looked up only for people signed in.
    let found = anonymous.get("/search?q=an").await.body;
    assert!(found.contains("href=\"/users/anton\""), "{found}");
    let handle = format!("bob@{}", beta.domain);
    let unknown = anonymous.get(&format!("/search?q={handle}")).await;
    assert_eq!(unknown.status, 200);
    assert!(
        unknown.body.contains("Sign in to search posts and to open"),
        "{}",
        unknown.body
    );
    let opened = ann.get(&format!("/search?q=%40{handle}")).await;
    assert_eq!(opened.status, 303, "{}", opened.body);
    let bob_page = opened.location.unwrap();
    assert!(bob_page.starts_with("/accounts/"), "{bob_page}");
    let page = ann.get(&bob_page).await.body;
    assert!(
        page.contains(&format!("@{handle}")) && page.contains(">Follow<"),
        "{page}"
    );

    // Following bob, and joining his community found by its URL, fill ann's home.
    assert_eq!(
        ann.submit(&format!("{bob_page}/follow"), &[]).await.status,
        303
    );
    let community_url = format!("{}/c/guild_of_ops", beta.base);
    let opened = ann.get(&format!("/search?q={community_url}")).await;
    let community_page = opened.location.expect("the community opens");
    assert!(ann.get(&community_page).await.body.contains(">Join<"));
    assert_eq!(
        ann.submit(&format!("{community_page}/follow"), &[])
            .await
            .status,
        303
    );
    eventually("ann follows bob and is in his community", || async {
        let bob = ann.get(&bob_page).await.body;
        let ops = ann.get(&community_page).await.body;
        bob.contains(">Unfollow<") && ops.contains(">Leave<")
    })
    .await;
    let bob = Client::password(&beta, "bob").await;
    bob.post(
        "/api/v1/statuses",
        json!({"status": "Ops hour moves to Thursday"}),
    )
    .await;
    eventually("bob's post reaches ann's home", || async {
        ann.get("/home")
            .await
            .body
            .contains("Ops hour moves to Thursday")
    })
    .await;
    assert_eq!(anonymous.get("/home").await.status, 401);

    // Bob favourites ann's post: her notifications say so and link to it.
    let ann_api = Client::password(&alpha, "ann").await;
    let post = ann_api
        .post(
            "/api/v1/statuses",
            json!({"status": format!("Thanks @{handle}, see you there")}),
        )
        .await;
    let uri = post["uri"].as_str().unwrap().to_string();
    let found = bob
        .get(&format!(
            "/api/v2/search?q={uri}&resolve=true&type=statuses"
        ))
        .await;
    let there = found["statuses"][0]["id"].as_str().unwrap().to_string();
    bob.post(&format!("/api/v1/statuses/{there}/favourite"), json!({}))
        .await;
    let post_link = format!("href=\"/statuses/{}\"", post["id"].as_str().unwrap());
    eventually("the favourite reaches ann", || async {
        let page = ann.get("/notifications").await.body;
        page.contains("favourited your post") && page.contains(&post_link)
    })
    .await;
    let mentions = ann.get("/notifications").await.body;
    assert!(
        mentions.contains(&format!("@{handle}</a> favourited")),
        "{mentions}"
    );
    alpha.stop().await;
    beta.stop().await;
}

async fn privacy_on(backend: &Backend) {
    let server = TestServer::start_with(backend, &[("GUILD_OAUTH_PASSWORD_GRANT", "true")]).await;
    for name in ["ann", "bob", "cid"] {
        server.create_user(name, false).await;
    }
    let (bob, cid) = (
        FormClient::signed_in(&server, "bob").await,
        FormClient::signed_in(&server, "cid").await,
    );
    let anonymous = FormClient::new(&server);
    let ann_id = server
        .with_db(|conn, _| guild::store::accounts::local_by_username(conn, "ann"))
        .await
        .unwrap()
        .id;
    // Bob follows ann; cid does not.
    assert_eq!(
        bob.submit(&format!("/accounts/{ann_id}/follow"), &[])
            .await
            .status,
        303
    );
    let ann = Client::password(&server, "ann").await;
    let mut paths = Vec::new();
    for (text, visibility) in [
        ("Open for all", "public"),
        ("Quietly public", "unlisted"),
        ("Followers hear this", "private"),
        ("Only for @cid", "direct"),
    ] {
        let post = ann
            .post(
                "/api/v1/statuses",
                json!({"status": text, "visibility": visibility}),
            )
            .await;
        paths.push(format!("/statuses/{}", post["id"].as_str().unwrap()));
    }
    let (followers_only, direct) = (&paths[2], &paths[3]);
    // Who may see what, page by page: the profile, the post's own page, home, notifications.
    let anyone = anonymous.get("/users/ann").await.body;
    assert!(
        anyone.contains("Open for all") && anyone.contains("Quietly public"),
        "{anyone}"
    );
    assert!(!anyone.contains("Followers hear this") && !anyone.contains("Only for"));
    let follower = bob.get("/users/ann").await.body;
    assert!(follower.contains("Followers hear this") && !follower.contains("Only for"));
    let mentioned = cid.get("/users/ann").await.body;
    assert!(!mentioned.contains("Followers hear this"), "{mentioned}");
    for (who, may_see_followers, may_see_direct) in [
        (&anonymous, false, false),
        (&bob, true, false),
        (&cid, false, true),
    ] {
        let followers_page = who.get(followers_only).await.status;
        assert_eq!(followers_page == 200, may_see_followers);
        assert_eq!(who.get(direct).await.status == 200, may_see_direct);
    }
    assert!(bob.get("/home").await.body.contains("Followers hear this"));
    assert!(!bob.get("/home").await.body.contains("Only for"));
    assert!(!cid.get("/home").await.body.contains("Followers hear this"));
    let told = cid.get("/notifications").await.body;
    assert!(
        told.contains("mentioned you") && told.contains(direct.as_str()),
        "{told}"
    );
    assert!(!bob
        .get("/notifications")
        .await
        .body
        .contains(direct.as_str()));
    // Nobody answers, favourites or boosts what they may not see.
    for (verb, fields) in [
        ("reply", vec![("text", "hm")]),
        ("favourite", vec![]),
        ("boost", vec![]),
    ] {
        let refused = bob.submit(&format!("{direct}/{verb}"), &fields).await;
        assert_eq!(refused.status, 404, "{verb}");
    }
    // Followers-only posts are not boosted, even by followers.
    let boost = bob.submit(&format!("{followers_only}/boost"), &[]).await;
    assert_ne!(boost.status, 303, "{}", boost.body);
    server.stop().await;
}
