//! Signing in, out and up in a browser: session cookies, the form token on every form, the
//! registration modes, password changes, and the OAuth page using the browser's session.

mod common;

use common::{backends, forms::FormClient, Backend, TestServer};

#[actix_web::test]
async fn browser_sessions() {
    for backend in backends() {
        eprintln!("browser_sessions on {}", backend.name());
        sessions_on(&backend).await;
        throttled_on(&backend).await;
    }
}

/// Guessing passwords slows down after five failures for a name, known or not, whichever
/// door the guesses come by; waiting out the pause lets the right password in.
async fn throttled_on(backend: &Backend) {
    let server = TestServer::start_with(backend, &[("GUILD_OAUTH_PASSWORD_GRANT", "true")]).await;
    server.create_user("alice", false).await;
    // A count two days old, which the next failure sweeps away.
    server
        .with_db(|conn, _| {
            let old = guild::time::now() - chrono::TimeDelta::days(2);
            guild::store::sign_in_failures::set(conn, "address:192.0.2.9", 30, old)
        })
        .await;
    let browser = FormClient::new(&server);
    browser.get("/sign-in").await;
    for name in ["alice", "nobody"] {
        for _ in 0..5 {
            let wrong = browser
                .submit("/sign-in", &[("username", name), ("password", "guess")])
                .await;
            assert_eq!(wrong.status, 401, "{name}");
        }
        let paused = browser
            .submit(
                "/sign-in",
                &[("username", name), ("password", "password123")],
            )
            .await;
        assert_eq!(paused.status, 429, "{name}: {}", paused.body);
        assert!(
            paused.body.contains("try again in 1 seconds"),
            "{}",
            paused.body
        );
    }
    let swept = server
        .with_db(|conn, _| guild::store::sign_in_failures::get(conn, "address:192.0.2.9"))
        .await;
    assert_eq!(swept, None);
    // The API's password grant counts and waits the same.
    let app: serde_json::Value = server
        .http
        .post(server.url("/api/v1/apps"))
        .json(
            &serde_json::json!({"client_name": "x", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob"}),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let grant = |password: &'static str| {
        let body = serde_json::json!({"grant_type": "password", "client_id": app["client_id"],
            "client_secret": app["client_secret"], "username": "alice", "password": password});
        server
            .http
            .post(server.url("/oauth/token"))
            .json(&body)
            .send()
    };
    let paused = grant("password123").await.unwrap();
    assert_eq!(paused.status().as_u16(), 429);
    assert_eq!(paused.headers()["retry-after"], "1");
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(grant("password123").await.unwrap().status().as_u16(), 200);

    // Behind the reverse proxy on the same host, each client is counted by the address the
    // proxy names: twenty failures from one slow down that one only.
    let from = |client: &'static str, name: String| {
        let body = serde_json::json!({"grant_type": "password", "client_id": app["client_id"],
            "client_secret": app["client_secret"], "username": name, "password": "guess"});
        let request = server.http.post(server.url("/oauth/token")).json(&body);
        async move {
            let answer = request
                .header("x-forwarded-for", client)
                .send()
                .await
                .unwrap();
            answer.status().as_u16()
        }
    };
    for n in 0..20 {
        assert_eq!(from("198.51.100.1", format!("name{}", n / 4)).await, 401);
    }
    assert_eq!(from("198.51.100.1", "fresh".into()).await, 429);
    assert_eq!(from("198.51.100.2", "fresh".into()).await, 401);
    server.stop().await;
}

async fn sessions_on(backend: &Backend) {
    let server = TestServer::start_with(backend, &[("GUILD_REGISTRATIONS", "open")]).await;
    server.create_user("alice", false).await;

    // The form cookie is set with the first page, HttpOnly and SameSite=Lax.
    let raw = server
        .http
        .get(server.url("/sign-in"))
        .send()
        .await
        .unwrap();
    let set = raw.headers()["set-cookie"].to_str().unwrap();
    assert!(set.starts_with("guild_csrf="), "{set}");
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Lax"),
        "{set}"
    );
    let policy = raw.headers()["content-security-policy"].to_str().unwrap();
    assert!(policy.contains("default-src 'none'") && !policy.contains("unsafe"));

    let browser = FormClient::new(&server);
    let page = browser.get("/sign-in").await;
    assert!(page.body.contains(&format!("value=\"{}\"", browser.csrf())));

    // A wrong password shows the form again and signs nobody in.
    let wrong = browser
        .submit(
            "/sign-in",
            &[
                ("username", "alice"),
                ("password", "nope nope"),
                ("next", "/"),
            ],
        )
        .await;
    assert_eq!(wrong.status, 401);
    assert!(wrong.body.contains("invalid username or password"));
    assert!(!browser.has_session());

    // A form without its token, or sent from another site, is refused.
    let fields = [("username", "alice"), ("password", "password123")];
    let forged = browser.post_raw("/sign-in", &fields, None).await;
    assert_eq!(forged.status, 403, "{}", forged.body);
    assert!(forged.body.contains("another site"));
    let csrf = browser.csrf();
    let with_token = [("csrf", csrf.as_str()), fields[0], fields[1]];
    let elsewhere = browser
        .post_raw("/sign-in", &with_token, Some("http://evil.example"))
        .await;
    assert_eq!(elsewhere.status, 403);
    assert!(!browser.has_session());

    // Signing in goes back to the page asked for, never to another site.
    let signed_in = browser
        .submit(
            "/sign-in",
            &[fields[0], fields[1], ("next", "//evil.example/x")],
        )
        .await;
    assert_eq!(signed_in.status, 303);
    assert_eq!(signed_in.location.as_deref(), Some("/"));
    assert!(browser.has_session());
    let home = browser.get("/").await;
    assert!(home.body.contains("@alice"), "{}", home.body);
    assert!(home.body.contains("Sign out"));

    // The OAuth page asks a signed-in browser only to approve.
    let app: serde_json::Value = server
        .http
        .post(server.url("/api/v1/apps"))
        .json(&serde_json::json!({"client_name": "reader", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob", "scopes": "read"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let client_id = app["client_id"].as_str().unwrap();
    let authorize = format!(
        "/oauth/authorize?response_type=code&client_id={client_id}&redirect_uri=urn:ietf:wg:oauth:2.0:oob&scope=read"
    );
    let consent = browser.get(&authorize).await;
    assert!(
        consent.body.contains("signed in as <strong>@alice"),
        "{}",
        consent.body
    );
    assert!(!consent.body.contains("type=\"password\""));
    let approved = browser
        .submit(
            "/oauth/authorize",
            &[
                ("client_id", client_id),
                ("redirect_uri", "urn:ietf:wg:oauth:2.0:oob"),
                ("scope", "read"),
            ],
        )
        .await;
    assert_eq!(approved.status, 200, "{}", approved.body);
    assert!(approved.body.contains("Copy this code into the app"));

    // A second browser signed in as alice is signed out by a password change in the first.
    let other = FormClient::new(&server);
    other.get("/sign-in").await;
    other.submit("/sign-in", &fields).await;
    assert!(other.get("/settings/password").await.status == 200);
    let refused = browser
        .submit(
            "/settings/password",
            &[("current", "not it"), ("new", "a new password")],
        )
        .await;
    assert_eq!(refused.status, 422);
    assert!(refused.body.contains("current password is not right"));
    let changed = browser
        .submit(
            "/settings/password",
            &[("current", "password123"), ("new", "a new password")],
        )
        .await;
    assert_eq!(changed.status, 200, "{}", changed.body);
    assert!(changed.body.contains("Your password is changed"));
    assert_eq!(other.get("/settings/password").await.status, 401);
    assert_eq!(browser.get("/settings/password").await.status, 200);

    // A browser that reached the server by another name (127.0.0.1 for localhost) posts
    // from that origin; signing out ends the session on the server, not only in the browser.
    let session_cookie = browser.cookie("guild_session");
    let by_address = format!("http://127.0.0.1:{}", server.port());
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let out = no_redirects
        .post(format!("{by_address}/sign-out"))
        .header("origin", &by_address)
        .header(
            "cookie",
            format!(
                "guild_csrf={}; guild_session={session_cookie}",
                browser.csrf()
            ),
        )
        .form(&[("csrf", browser.csrf())])
        .send()
        .await
        .unwrap();
    assert_eq!(out.status().as_u16(), 303);
    let removal = out.headers()["set-cookie"].to_str().unwrap();
    assert!(removal.starts_with("guild_session=;"), "{removal}");
    let replayed = server
        .http
        .get(server.url("/settings/password"))
        .header("cookie", format!("guild_session={session_cookie}"))
        .send()
        .await
        .unwrap();
    assert_eq!(replayed.status().as_u16(), 401);

    // Open registrations: a new person is signed in at once; a taken name is explained.
    let newcomer = FormClient::new(&server);
    newcomer.get("/sign-up").await;
    let taken = newcomer
        .submit(
            "/sign-up",
            &[
                ("username", "alice"),
                ("email", "a2@example.org"),
                ("password", "long enough"),
            ],
        )
        .await;
    assert_eq!(taken.status, 422);
    assert!(taken.body.contains("already taken"));
    let joined = newcomer
        .submit(
            "/sign-up",
            &[
                ("username", "dora"),
                ("email", "dora@example.org"),
                ("password", "long enough"),
            ],
        )
        .await;
    assert_eq!(joined.status, 303, "{}", joined.body);
    assert!(newcomer.get("/").await.body.contains("@dora"));
    // A session idle past 30 days is swept away even if its browser never comes back.
    let swept = server
        .with_db(|conn, _| {
            use diesel::prelude::*;
            use guild::db::schema::web_sessions::dsl;
            let long_ago = guild::time::now() - chrono::Duration::days(31);
            diesel::update(dsl::web_sessions)
                .set(dsl::last_used_at.eq(long_ago))
                .execute(conn)?;
            guild::service::web_sessions::sweep_idle(conn)
        })
        .await;
    assert!(swept >= 1, "{swept}");
    assert!(!newcomer.get("/").await.body.contains("@dora"));
    server.stop().await;

    // Approval: the account waits, and cannot sign in until approved.
    let server = TestServer::start_with(backend, &[("GUILD_REGISTRATIONS", "approval")]).await;
    let newcomer = FormClient::new(&server);
    let form = newcomer.get("/sign-up").await;
    assert!(form.body.contains("approves new accounts"));
    let waiting = newcomer
        .submit(
            "/sign-up",
            &[
                ("username", "emil"),
                ("email", "emil@example.org"),
                ("password", "long enough"),
            ],
        )
        .await;
    assert_eq!(waiting.status, 200);
    assert!(waiting.body.contains("An administrator will approve it"));
    assert!(!newcomer.has_session());
    let early = newcomer
        .submit(
            "/sign-in",
            &[("username", "emil"), ("password", "long enough")],
        )
        .await;
    assert_eq!(early.status, 401);
    assert!(early.body.contains("waiting for approval"));
    server.stop().await;

    // Closed: no sign-up form at all.
    let server = TestServer::start_with(backend, &[("GUILD_REGISTRATIONS", "closed")]).await;
    let newcomer = FormClient::new(&server);
    assert_eq!(newcomer.get("/sign-up").await.status, 403);
    server.stop().await;
}
