//! The Mastodon client API over real HTTP: OAuth (code flow with PKCE, password grant,
//! refresh, revoke), scopes, statuses, timelines with Link paging, visibility, and following
//! across instances — every response held against the Mastodon API description.

mod common;

use common::{api::Client, backends, eventually, spec, Backend, TestServer};
use serde_json::{json, Value};

/// Register an app and sign `user` in through the authorize page with PKCE.
async fn sign_in(server: &TestServer, user: &str, scopes: &str) -> String {
    let anonymous = Client {
        server,
        token: None,
    };
    let app = anonymous
        .post("/api/v1/apps", json!({"client_name": "test", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob", "scopes": scopes}))
        .await;
    spec::assert_matches("CredentialApplication", &app);
    let verifier = "a-verifier-that-is-long-enough-for-pkce-0123456789";
    let challenge = {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(openssl::sha::sha256(verifier.as_bytes()))
    };
    let client_id = app["client_id"].as_str().unwrap();
    let query = format!(
        "/oauth/authorize?response_type=code&client_id={client_id}&redirect_uri=urn:ietf:wg:oauth:2.0:oob&scope={}&code_challenge={challenge}&code_challenge_method=S256",
        scopes.replace(' ', "+")
    );
    let browser = common::forms::FormClient::new(server);
    let page = browser.get(&query).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let form = [
        ("client_id", client_id),
        ("redirect_uri", "urn:ietf:wg:oauth:2.0:oob"),
        ("scope", scopes),
        ("code_challenge", &challenge),
        ("code_challenge_method", "S256"),
        ("username", user),
        ("password", "password123"),
    ];
    // Without the page's form token, nothing is granted.
    let forged = browser.post_raw("/oauth/authorize", &form, None).await;
    assert_eq!(forged.status, 403, "{}", forged.body);
    let page = browser.submit("/oauth/authorize", &form).await.body;
    // Signing in there also signed the browser in.
    assert!(browser.has_session());
    let code = page
        .split("Copy this code into the app: ")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .trim()
        .to_string();
    let token = anonymous
        .post(
            "/oauth/token",
            json!({"grant_type": "authorization_code", "client_id": client_id, "code": code,
                   "redirect_uri": "urn:ietf:wg:oauth:2.0:oob", "code_verifier": verifier}),
        )
        .await;
    spec::assert_matches("Token", &token);
    // A code works once.
    let (status, _, _) = anonymous
        .call(reqwest::Method::POST, "/oauth/token", Some(json!({"grant_type": "authorization_code", "client_id": client_id, "code": code, "redirect_uri": "urn:ietf:wg:oauth:2.0:oob", "code_verifier": verifier})))
        .await;
    assert_eq!(status, 400);
    token["access_token"].as_str().unwrap().to_string()
}

/// The path of the `Create` activity that published the status `uri`.
async fn create_activity_path(server: &TestServer, uri: &str) -> String {
    let uri = uri.to_string();
    let id = server
        .with_db(move |conn, _| {
            use diesel::prelude::*;
            use guild::db::schema::activities::dsl::*;
            Ok(activities
                .filter(object_ap_id.eq(uri))
                .select(ap_id)
                .first::<String>(conn)?)
        })
        .await;
    id.strip_prefix(&server.base).unwrap().to_string()
}

#[actix_web::test]
async fn client_api_sessions() {
    for backend in backends() {
        eprintln!("client_api_sessions on {}", backend.name());
        session_on(&backend).await;
    }
}

async fn session_on(backend: &Backend) {
    let alpha = TestServer::start_with(backend, &[("GUILD_OAUTH_PASSWORD_GRANT", "true")]).await;
    let beta = TestServer::start(&Backend::Sqlite).await;
    alpha.create_user("alice", false).await;
    alpha.create_user("eve", false).await;
    beta.create_user("bob", false).await;

    let alice = Client {
        server: &alpha,
        token: Some(sign_in(&alpha, "alice", "read write follow").await),
    };
    let me = alice.get("/api/v1/accounts/verify_credentials").await;
    spec::assert_matches("CredentialAccount", &me);
    assert_eq!(me["username"], "alice");

    // Posting, reading back, paging with Link headers.
    for n in 0..3 {
        let status = alice
            .post(
                "/api/v1/statuses",
                json!({"status": format!("note {n}"), "visibility": "public"}),
            )
            .await;
        spec::assert_matches("Status", &status);
    }
    // Some apps send multipart bodies even without files.
    let multipart = "--b0undary\r\nContent-Disposition: form-data; name=\"status\"\r\n\r\nsent as multipart\r\n\
                     --b0undary\r\nContent-Disposition: form-data; name=\"visibility\"\r\n\r\nunlisted\r\n--b0undary--\r\n";
    let response = alpha
        .http
        .post(alpha.url("/api/v1/statuses"))
        .bearer_auth(alice.token.as_deref().unwrap())
        .header("Content-Type", "multipart/form-data; boundary=b0undary")
        .body(multipart)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let sent: serde_json::Value = response.json().await.unwrap();
    assert_eq!(sent["visibility"], "unlisted");
    assert!(sent["content"]
        .as_str()
        .unwrap()
        .contains("sent as multipart"));
    let secret = alice
        .post(
            "/api/v1/statuses",
            json!({"status": "for followers", "visibility": "private"}),
        )
        .await;
    let (status, page, link) = alice
        .call(reqwest::Method::GET, "/api/v1/timelines/home?limit=2", None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(page.as_array().unwrap().len(), 2);
    let link = link.expect("Link header");
    assert!(
        link.contains("rel=\"next\"") && link.contains("limit=2") && link.contains("max_id="),
        "{link}"
    );
    let next = link.split('<').nth(1).unwrap().split('>').next().unwrap();
    let next_path = next.strip_prefix(&alpha.base).unwrap();
    let older = alice.get(next_path).await;
    assert_eq!(older.as_array().unwrap().len(), 2);
    assert!(older[0]["id"].as_str().unwrap() < page[1]["id"].as_str().unwrap());
    let public = Client {
        server: &alpha,
        token: None,
    }
    .get("/api/v1/timelines/public?local=true")
    .await;
    assert_eq!(
        public.as_array().unwrap().len(),
        3,
        "followers-only stays out of the public timeline"
    );
    for status in public.as_array().unwrap() {
        spec::assert_matches("Status", status);
    }

    // Scopes and visibility are enforced.
    let read_only = Client {
        server: &alpha,
        token: Some(sign_in(&alpha, "eve", "read").await),
    };
    let (status, _, _) = read_only
        .call(
            reqwest::Method::POST,
            "/api/v1/statuses",
            Some(json!({"status": "nope"})),
        )
        .await;
    assert_eq!(status, 403, "a read token cannot post");
    let secret_path = format!("/api/v1/statuses/{}", secret["id"].as_str().unwrap());
    let (status, _, _) = read_only
        .call(reqwest::Method::GET, &secret_path, None)
        .await;
    assert_eq!(status, 404, "a stranger cannot read followers-only posts");
    let (status, _, _) = Client {
        server: &alpha,
        token: None,
    }
    .call(reqwest::Method::GET, &secret_path, None)
    .await;
    assert_eq!(status, 404);
    // Nor through ActivityPub: the Create of a followers-only post is not served.
    let create_path = create_activity_path(&alpha, secret["uri"].as_str().unwrap()).await;
    assert_eq!(
        alpha.get(&create_path, "application/activity+json").await.0,
        404
    );
    let public_path = create_activity_path(&alpha, public[0]["uri"].as_str().unwrap()).await;
    assert_eq!(
        alpha.get(&public_path, "application/activity+json").await.0,
        200
    );
    let (status, _, _) = Client {
        server: &alpha,
        token: Some("bogus".into()),
    }
    .call(
        reqwest::Method::GET,
        "/api/v1/accounts/verify_credentials",
        None,
    )
    .await;
    assert_eq!(status, 401);

    // Favourite and boost from the API.
    let first = public[0]["id"].as_str().unwrap();
    let liked = alice
        .post(&format!("/api/v1/statuses/{first}/favourite"), json!({}))
        .await;
    assert_eq!(
        (
            liked["favourited"].as_bool(),
            liked["favourites_count"].as_i64()
        ),
        (Some(true), Some(1))
    );
    // Favouriting, boosting or bookmarking many times at once is done once, with no error.
    let second = public[1]["id"].as_str().unwrap();
    let client = &alice;
    let at_once = |action: &str| {
        let path = format!("/api/v1/statuses/{second}/{action}");
        let calls = (0..6).map(move |_| {
            let path = path.clone();
            async move {
                client
                    .call(reqwest::Method::POST, &path, Some(json!({})))
                    .await
            }
        });
        futures::future::join_all(calls)
    };
    for (status, body, _) in at_once("favourite").await {
        assert_eq!(status, 200, "{body}");
    }
    let boosts: Vec<String> = at_once("reblog")
        .await
        .into_iter()
        .map(|(status, body, _)| {
            assert_eq!(status, 200, "{body}");
            body["id"].as_str().unwrap().to_string()
        })
        .collect();
    assert!(boosts.iter().all(|id| *id == boosts[0]), "{boosts:?}");
    for (status, body, _) in at_once("bookmark").await {
        assert_eq!(status, 200, "{body}");
    }
    let counted = alice.get(&format!("/api/v1/statuses/{second}")).await;
    let counts = (&counted["favourites_count"], &counted["reblogs_count"]);
    assert_eq!(counts, (&json!(1), &json!(1)), "{counted}");
    let bookmarked = alice.get("/api/v1/bookmarks").await;
    assert_eq!(bookmarked.as_array().unwrap().len(), 1, "{bookmarked}");
    let boosted = alice
        .post(&format!("/api/v1/statuses/{first}/reblog"), json!({}))
        .await;
    spec::assert_matches("Status", &boosted);
    // Lists say which posts the reader favourited and boosted, and only those.
    let listed = alice.get("/api/v1/timelines/public?local=true").await;
    let marks: Vec<(bool, bool)> = listed
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["reblog"].is_null())
        .map(|s| {
            let mark = |key: &str| s[key].as_bool().unwrap();
            (
                s["id"] == first || s["id"] == second,
                mark("favourited") && mark("reblogged"),
            )
        })
        .collect();
    assert!(marks.len() > 2, "{listed}");
    assert!(
        marks.iter().all(|(is_first, marked)| is_first == marked),
        "{marks:?}"
    );

    // Password grant (on here), then following a remote account on beta.
    let app = alice.post("/api/v1/apps", json!({"client_name": "script", "redirect_uris": ["urn:ietf:wg:oauth:2.0:oob"], "scopes": "read write follow"})).await;
    let token = alice
        .post("/oauth/token", json!({"grant_type": "password", "client_id": app["client_id"], "client_secret": app["client_secret"], "username": "alice", "password": "password123", "scope": "read write follow"}))
        .await;
    let script = Client {
        server: &alpha,
        token: Some(token["access_token"].as_str().unwrap().to_string()),
    };
    let bob = script
        .get(&format!("/api/v1/accounts/lookup?acct=bob@{}", beta.domain))
        .await;
    spec::assert_matches("Account", &bob);
    let relationship = script
        .post(
            &format!("/api/v1/accounts/{}/follow", bob["id"].as_str().unwrap()),
            json!({}),
        )
        .await;
    spec::assert_matches("Relationship", &relationship);
    let bob_id = bob["id"].as_str().unwrap().to_string();
    eventually("beta accepts the follow", || async {
        let rel = script
            .get(&format!("/api/v1/accounts/relationships?id[]={bob_id}"))
            .await;
        rel[0]["following"] == true
    })
    .await;

    // Refresh and revoke.
    let refreshed = alice
        .post("/oauth/token", json!({"grant_type": "refresh_token", "client_id": app["client_id"], "client_secret": app["client_secret"], "refresh_token": token["refresh_token"]}))
        .await;
    let (status, _, _) = script
        .call(
            reqwest::Method::GET,
            "/api/v1/accounts/verify_credentials",
            None,
        )
        .await;
    assert_eq!(status, 401, "a refreshed token's predecessor stops working");
    alice.post("/oauth/revoke", json!({"client_id": app["client_id"], "client_secret": app["client_secret"], "token": refreshed["access_token"]})).await;
    let revoked = Client {
        server: &alpha,
        token: Some(refreshed["access_token"].as_str().unwrap().to_string()),
    };
    let (status, _, _) = revoked
        .call(
            reqwest::Method::GET,
            "/api/v1/accounts/verify_credentials",
            None,
        )
        .await;
    assert_eq!(status, 401);

    // Deleting answers the source text.
    let deleted = alice
        .call(reqwest::Method::DELETE, &secret_path, None)
        .await;
    assert_eq!(
        (deleted.0, deleted.1["text"].as_str()),
        (200, Some("for followers"))
    );

    alpha.stop().await;
    beta.stop().await;
}

/// An app token from the client-credentials grant, as apps get before sign-up.
async fn app_token(server: &TestServer) -> String {
    let anonymous = Client {
        server,
        token: None,
    };
    let app = anonymous
        .post("/api/v1/apps", json!({"client_name": "signup", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob", "scopes": "read write follow"}))
        .await;
    let token = anonymous
        .post("/oauth/token", json!({"grant_type": "client_credentials", "client_id": app["client_id"], "client_secret": app["client_secret"], "scope": "read write"}))
        .await;
    token["access_token"].as_str().unwrap().to_string()
}

async fn sign_up(server: &TestServer, name: &str) -> (u16, Value) {
    let client = Client {
        server,
        token: Some(app_token(server).await),
    };
    let (status, body, _) = client
        .call(reqwest::Method::POST, "/api/v1/accounts", Some(json!({"username": name, "email": format!("{name}@example.org"), "password": "long enough", "agreement": true})))
        .await;
    (status, body)
}

#[actix_web::test]
async fn registration_follows_the_instance_mode() {
    for backend in backends() {
        eprintln!(
            "registration_follows_the_instance_mode on {}",
            backend.name()
        );
        let approval = TestServer::start(&backend).await;
        let (status, token) = sign_up(&approval, "newbie").await;
        assert_eq!(status, 200, "{token}");
        spec::assert_matches("Token", &token);
        let newbie = Client {
            server: &approval,
            token: Some(token["access_token"].as_str().unwrap().to_string()),
        };
        let (status, body, _) = newbie
            .call(
                reqwest::Method::GET,
                "/api/v1/accounts/verify_credentials",
                None,
            )
            .await;
        assert_eq!(status, 403, "pending approval: {body}");
        approval
            .with_db(|conn, _| guild::service::accounts::approve_user(conn, "newbie"))
            .await;
        assert_eq!(
            newbie.get("/api/v1/accounts/verify_credentials").await["username"],
            "newbie"
        );
        let (status, body) = sign_up(&approval, "NEWBIE").await;
        assert_eq!(status, 422, "a taken name: {body}");
        approval.stop().await;
    }
    let open = TestServer::start_with(&Backend::Sqlite, &[("GUILD_REGISTRATIONS", "open")]).await;
    let (status, token) = sign_up(&open, "walkin").await;
    assert_eq!(status, 200);
    let walkin = Client {
        server: &open,
        token: Some(token["access_token"].as_str().unwrap().to_string()),
    };
    assert_eq!(
        walkin.get("/api/v1/accounts/verify_credentials").await["username"],
        "walkin"
    );
    open.stop().await;
    let closed =
        TestServer::start_with(&Backend::Sqlite, &[("GUILD_REGISTRATIONS", "closed")]).await;
    let (status, body) = sign_up(&closed, "nobody").await;
    assert_eq!(status, 403);
    assert!(body["error"].as_str().unwrap().contains("closed"));
    closed.stop().await;
}

/// Made-up bearer tokens share one count per address, so they buy no fresh allowance each;
/// a token already seen valid keeps its own count, and requests without a token theirs.
#[actix_web::test]
async fn made_up_tokens_share_one_count() {
    let server = TestServer::start_with(
        &Backend::Sqlite,
        &[
            ("GUILD_API_RATE_LIMIT", "5"),
            ("GUILD_OAUTH_PASSWORD_GRANT", "true"),
        ],
    )
    .await;
    server.create_user("alice", false).await;
    let alice = Client::password(&server, "alice").await;
    alice.get("/api/v1/accounts/verify_credentials").await;
    let status = |token: Option<String>| {
        let mut request = server
            .http
            .get(server.url("/api/v1/accounts/verify_credentials"));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        async move { request.send().await.unwrap().status().as_u16() }
    };
    // Alice's first request, before her token was seen valid, was the first of the five.
    for n in 0..4 {
        assert_eq!(status(Some(format!("made-up-{n}"))).await, 401);
    }
    assert_eq!(status(Some("made-up-4".into())).await, 429);
    assert_eq!(status(alice.token.clone()).await, 200);
    assert_eq!(
        status(None).await,
        401,
        "no token: counted apart, and refused by the API"
    );
    server.stop().await;
}

/// A thread of hundreds of replies, long enough that its lookups are shared out over two
/// connections (on PostgreSQL) and its JSON written in two halves at once: its context comes back whole
/// and in reading order, each viewer sees only what they may (blocks, followers-only
/// replies, keyword filters), and their own favourites and bookmarks are marked.
#[actix_web::test]
async fn long_threads_come_whole_and_in_order() {
    for backend in backends() {
        eprintln!("a long thread's context on {}", backend.name());
        long_thread_on(&backend).await;
    }
}

async fn long_thread_on(backend: &Backend) {
    use guild::domain::Visibility;
    use guild::service::statuses::{create, NewPost};
    let server = TestServer::start_with(backend, &[("GUILD_OAUTH_PASSWORD_GRANT", "true")]).await;
    for name in ["ann", "ben", "cat", "dan"] {
        server.create_user(name, false).await;
    }
    let ben = Client::password(&server, "ben").await;
    let dan = Client::password(&server, "dan").await;
    let dan_id = dan.get("/api/v1/accounts/verify_credentials").await["id"].clone();
    ben.post(
        &format!("/api/v1/accounts/{}/block", dan_id.as_str().unwrap()),
        json!({}),
    )
    .await;
    let filter = json!({"title": "no spoilers", "context": ["thread"], "filter_action": "hide",
        "keywords_attributes": [{"keyword": "spoilers"}]});
    ben.post("/api/v2/filters", filter).await;

    // A chain of 240 replies under the root, then 400 answers to the root itself: a fifth by
    // dan (blocked by ben), a fifth followers-only by cat (whom nobody follows), a fifth
    // with a word ben filters.
    let (root, chain, answers) = server
        .with_db(|conn, config| {
            let by = |conn: &mut _, name: &str| {
                guild::store::accounts::local_by_username(conn, name).map(Option::unwrap)
            };
            let (ann, cat, dan) = (by(conn, "ann")?, by(conn, "cat")?, by(conn, "dan")?);
            let mut post = NewPost::new(Visibility::Public);
            post.text = "Where do we keep the runbooks?".into();
            let root = create(conn, config, &ann, post)?.id;
            let mut chain = Vec::new();
            for n in 0..240 {
                let mut post = NewPost::new(Visibility::Public);
                post.text = format!("Deeper, step {n}");
                post.in_reply_to_id = Some(*chain.last().unwrap_or(&root));
                let author = if n % 2 == 0 { &ann } else { &cat };
                chain.push(create(conn, config, author, post)?.id);
            }
            let mut answers = Vec::new();
            for n in 0..400 {
                let (author, visibility, text) = match n % 5 {
                    0 => (&dan, Visibility::Public, format!("Dan's answer {n}")),
                    1 => (&cat, Visibility::Private, format!("For followers {n}")),
                    2 => (&ann, Visibility::Public, format!("spoilers ahead {n}")),
                    _ => (&cat, Visibility::Public, format!("An answer {n}")),
                };
                let mut post = NewPost::new(visibility);
                post.text = text;
                post.in_reply_to_id = Some(root);
                answers.push((n % 5, create(conn, config, author, post)?.id));
            }
            Ok((root, chain, answers))
        })
        .await;
    let ids = |list: &Value| -> Vec<i64> {
        let list = list.as_array().unwrap();
        list.iter()
            .map(|s| s["id"].as_str().unwrap().parse().unwrap())
            .collect()
    };
    let answered = |hidden: &[i64]| -> Vec<i64> {
        let shown = answers.iter().filter(|(kind, _)| !hidden.contains(kind));
        chain
            .iter()
            .copied()
            .chain(shown.map(|(_, id)| *id))
            .collect()
    };
    let anonymous = Client {
        server: &server,
        token: None,
    };

    let seen = anonymous.get(&context(root)).await;
    spec::assert_matches("Context", &seen);
    assert_eq!(ids(&seen["ancestors"]), Vec::<i64>::new());
    assert_eq!(ids(&seen["descendants"]), answered(&[1]));
    let (liked, kept) = (chain[7], answers[399].1);
    ben.post(&format!("/api/v1/statuses/{liked}/favourite"), json!({}))
        .await;
    ben.post(&format!("/api/v1/statuses/{kept}/bookmark"), json!({}))
        .await;
    let seen = ben.get(&context(root)).await;
    assert_eq!(ids(&seen["descendants"]), answered(&[0, 1, 2]));
    let marked = |mark: &str| -> Vec<i64> {
        let list = seen["descendants"].as_array().unwrap();
        let marked = list.iter().filter(|s| s[mark] == json!(true));
        marked
            .map(|s| s["id"].as_str().unwrap().parse().unwrap())
            .collect()
    };
    assert_eq!(
        (marked("favourited"), marked("bookmarked")),
        (vec![liked], vec![kept])
    );
    // Counted at once, though the thread's rows were read (and kept) before the favourite.
    let counted = seen["descendants"].as_array().unwrap().iter();
    let counted: Vec<&Value> = counted.filter(|s| s["favourites_count"] == 1).collect();
    assert_eq!(counted.len(), 1);
    assert_eq!(counted[0]["id"], liked.to_string());
    // From the chain's middle and its end: ancestors and descendants split anywhere.
    let above = |n: usize| {
        [root]
            .into_iter()
            .chain(chain[..n].iter().copied())
            .collect::<Vec<_>>()
    };
    for n in [120, 239] {
        let seen = ben.get(&context(chain[n])).await;
        assert_eq!(ids(&seen["ancestors"]), above(n));
        assert_eq!(ids(&seen["descendants"]), chain[n + 1..].to_vec());
    }
    // An author's change shows at once in a list that showed her before, whatever changed
    // her account's row: her profile, or her count of posts.
    let root_author = |seen: &Value| seen["ancestors"][0]["account"].clone();
    let before = root_author(&ben.get(&context(chain[120])).await);
    let ann = Client::password(&server, "ann").await;
    let profile = Some(json!({"display_name": "Ann of the runbooks"}));
    let path = "/api/v1/accounts/update_credentials";
    let renamed = ann.status_of(reqwest::Method::PATCH, path, profile).await;
    assert_eq!(renamed, 200);
    ann.post("/api/v1/statuses", json!({"status": "One more runbook"}))
        .await;
    let after = root_author(&ben.get(&context(chain[120])).await);
    assert_eq!(after["display_name"], "Ann of the runbooks");
    let posts = |account: &Value| account["statuses_count"].as_i64().unwrap();
    assert_eq!(posts(&after), posts(&before) + 1);
    server.stop().await;
}

fn context(id: i64) -> String {
    format!("/api/v1/statuses/{id}/context")
}
