//! First run: the one-time setup link creates the administrator from a browser form.

mod common;

use common::{backends, Backend, TestServer};

#[actix_web::test]
async fn first_admin_through_the_setup_link() {
    for backend in backends() {
        eprintln!("first_admin_through_the_setup_link on {}", backend.name());
        setup_on(&backend).await;
    }
}

async fn setup_on(backend: &Backend) {
    let server = TestServer::start(backend).await;
    // The link printed at start is replaced by this one; only the newest works.
    let link = server
        .with_db(guild::service::setup::setup_link_if_needed)
        .await
        .expect("no admin yet, so a link");
    let token = link.split("token=").nth(1).unwrap().to_string();
    assert!(link.starts_with(&server.url("/setup?token=")));

    let (status, page) = server
        .get(&format!("/setup?token={token}"), "text/html")
        .await;
    assert_eq!(status, 200);
    assert!(page.contains("name=\"token\""));
    assert_eq!(server.get("/setup?token=wrong", "text/html").await.0, 403);

    let browser = common::forms::FormClient::new(&server);
    browser.get(&format!("/setup?token={token}")).await;
    let post = |fields: Vec<(&'static str, String)>| {
        let browser = &browser;
        async move {
            let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let answer = browser.submit("/setup", &fields).await;
            (answer.status, answer.body)
        }
    };
    let form = |password: &str| {
        vec![
            ("token", token.clone()),
            ("username", "root".to_string()),
            ("email", "root@example.org".to_string()),
            ("password", password.to_string()),
        ]
    };
    // A bad value shows the form again with the reason, and uses nothing up.
    let (status, page) = post(form("short")).await;
    assert_eq!(status, 422);
    assert!(page.contains("password is too short"), "{page}");
    let (status, page) = post(form("a good long password")).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Administrator created"));
    // The link is used up.
    assert_eq!(post(form("a good long password")).await.0, 403);
    assert_eq!(
        server
            .get(&format!("/setup?token={token}"), "text/html")
            .await
            .0,
        403
    );

    let instance = server
        .get_json("/api/v2/instance", "application/json")
        .await;
    assert_eq!(instance["contact"]["account"]["username"], "root");
    let again = server
        .with_db(guild::service::setup::setup_link_if_needed)
        .await;
    assert!(again.is_none(), "an admin exists, so no new link");
    server.stop().await;
}
