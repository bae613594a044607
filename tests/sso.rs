//! Single sign-on through a real OpenID Connect provider (oidc-provider from npm), driven by
//! Chromium through `tests/js/sso.test.mjs`, on each backend: then what the sign-ins left in
//! the database, and that passwords stay refused while they are off.

mod common;

use common::{backends, forms::FormClient, node, Backend, TestServer};

const CHROMIUM: &str = "/usr/bin/chromium";

#[actix_web::test]
async fn people_sign_in_through_the_organisations_provider() {
    assert!(
        std::path::Path::new(CHROMIUM).exists(),
        "the single sign-on tests need Chromium at {CHROMIUM}: install Debian's `chromium` \
         package (.ci/run does)"
    );
    for backend in backends() {
        eprintln!(
            "people_sign_in_through_the_organisations_provider on {}",
            backend.name()
        );
        sign_in_on(&backend).await;
    }
}

async fn sign_in_on(backend: &Backend) {
    let provider_port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let issuer = format!("http://localhost:{provider_port}");
    let settings = [
        ("GUILD_SSO_ISSUER", issuer.as_str()),
        ("GUILD_SSO_CLIENT_ID", "guild"),
        ("GUILD_SSO_CLIENT_SECRET", "a secret only these tests know"),
        ("GUILD_SSO_NAME", "Acme ID"),
        ("GUILD_SSO_EMAIL_DOMAINS", "acme.example"),
        ("GUILD_SSO_ADMIN_CLAIM", "groups=guild-admins"),
        ("GUILD_PASSWORD_SIGN_IN", "false"),
        ("GUILD_REGISTRATIONS", "open"),
    ];
    let server = TestServer::start_with(backend, &settings).await;
    // An account from before single sign-on, whose password no longer opens it.
    server.create_user("olga", false).await;
    let env = vec![
        ("GUILD_URL", server.base.clone()),
        ("PROVIDER_PORT", provider_port.to_string()),
        ("CHROMIUM", CHROMIUM.to_string()),
    ];
    node::run("sso.test.mjs", env).await;

    let people = server
        .with_db(|conn, _| {
            use guild::store::{accounts, users};
            let mut found = Vec::new();
            for name in ["dave", "carol", "eve", "dave2", "frank"] {
                let user = match accounts::local_by_username(conn, name)? {
                    Some(account) if account.deleted_at.is_some() => {
                        Some(("deleted".into(), String::new()))
                    }
                    Some(account) => users::by_account(conn, account.id)?
                        .map(|u| (u.email, u.role.as_str().to_string())),
                    None => None,
                };
                found.push(user);
            }
            Ok(found)
        })
        .await;
    assert_eq!(
        people,
        [
            Some(("dave@acme.example".into(), "user".into())),
            Some(("carol@acme.example".into(), "admin".into())),
            None,
            None,
            Some(("deleted".into(), String::new())),
        ],
        "dave signed in twice as one account, carol is an administrator by her group, eve \
         was refused, frank closed his account"
    );

    let browser = FormClient::new(&server);
    browser.get("/sign-in").await;
    let fields = [("username", "olga"), ("password", "password123")];
    let answer = browser.submit("/sign-in", &fields).await;
    assert_eq!(answer.status, 401, "{}", answer.body);
    assert!(
        answer.body.contains("sign in with Acme ID"),
        "{}",
        answer.body
    );
    assert!(!browser.has_session());
    server.stop().await;
}
