//! Discovery and identity endpoints over real HTTP, on every configured database.

mod common;

use common::{backends, spec, Backend, TestServer};
use serde_json::Value;

const AP: &str = "application/activity+json";
const LD: &str = "application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"";
const BROWSER: &str = "text/html,application/xhtml+xml";

#[actix_web::test]
async fn discovery_endpoints() {
    for backend in backends() {
        eprintln!("discovery_endpoints on {}", backend.name());
        discovery_on(&backend).await;
    }
}

async fn discovery_on(backend: &Backend) {
    let server = TestServer::start(backend).await;
    server.create_user("alice", true).await;
    server.create_community("rust", "alice").await;
    webfinger(&server).await;
    actors(&server).await;
    nodeinfo(&server).await;
    instance(&server).await;
    misc(&server).await;
    server.stop().await;
}

async fn webfinger(server: &TestServer) {
    let domain = &server.domain;
    for (resource, kind, id) in [
        (
            format!("acct:alice@{domain}"),
            "Person",
            server.url("/users/alice"),
        ),
        (
            format!("acct:rust@{domain}"),
            "Group",
            server.url("/c/rust"),
        ),
        (
            format!("acct:ALICE@{domain}"),
            "Person",
            server.url("/users/alice"),
        ),
        (
            server.url("/users/alice"),
            "Person",
            server.url("/users/alice"),
        ),
        (server.url("/c/rust"), "Group", server.url("/c/rust")),
    ] {
        let jrd = server
            .get_json(
                &format!("/.well-known/webfinger?resource={resource}"),
                "application/jrd+json",
            )
            .await;
        let name = if kind == "Group" { "rust" } else { "alice" };
        assert_eq!(
            jrd["subject"],
            format!("acct:{name}@{domain}"),
            "{resource}"
        );
        let link = jrd["links"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["rel"] == "self")
            .expect("self link");
        assert_eq!(link["type"], AP);
        assert_eq!(link["href"], id);
        assert_eq!(
            link["properties"]["https://www.w3.org/ns/activitystreams#type"],
            kind
        );
    }
    for (query, status) in [
        (format!("resource=acct:nobody@{domain}"), 404),
        ("resource=acct:alice@elsewhere.example".to_string(), 404),
        (String::new(), 400),
    ] {
        let (got, body) = server
            .get(&format!("/.well-known/webfinger?{query}"), "*/*")
            .await;
        assert_eq!(got, status, "webfinger?{query}: {body}");
        let error: Value = serde_json::from_str(&body).expect("JSON error");
        assert!(error["error"].is_string());
    }
    let (status, xrd) = server.get("/.well-known/host-meta", "*/*").await;
    assert_eq!(status, 200);
    assert!(xrd.contains(&format!(
        "template=\"{}/.well-known/webfinger?resource={{uri}}\"",
        server.base
    )));
}

async fn actors(server: &TestServer) {
    for accept in [AP, LD] {
        let person = server.get_json("/users/alice", accept).await;
        assert_eq!(person["type"], "Person");
        assert_eq!(person["id"], server.url("/users/alice"));
        assert_eq!(person["preferredUsername"], "alice");
        assert_eq!(person["inbox"], server.url("/users/alice/inbox"));
        assert_eq!(person["endpoints"]["sharedInbox"], server.url("/inbox"));
        assert_eq!(
            person["publicKey"]["id"],
            server.url("/users/alice#main-key")
        );
        assert_eq!(person["publicKey"]["owner"], server.url("/users/alice"));
        let pem = person["publicKey"]["publicKeyPem"].as_str().unwrap();
        assert!(openssl::pkey::PKey::public_key_from_pem(pem.as_bytes()).is_ok());
        assert!(person["icon"]["url"]
            .as_str()
            .unwrap()
            .ends_with("/static/avatar.png"));
    }

    let group = server.get_json("/c/rust", AP).await;
    assert_eq!(group["type"], "Group");
    assert_eq!(group["id"], server.url("/c/rust"));
    assert_eq!(group["featured"], server.url("/c/rust/featured"));
    assert_eq!(group["endpoints"]["sharedInbox"], server.url("/inbox"));
    assert_eq!(group["attributedTo"], server.url("/c/rust/moderators"));
    assert_eq!(group["postingRestrictedToMods"], false);
    assert!(group["publicKey"]["publicKeyPem"]
        .as_str()
        .unwrap()
        .contains("BEGIN PUBLIC KEY"));
    let moderators = server.get_json("/c/rust/moderators", AP).await;
    assert_eq!(moderators["type"], "OrderedCollection");
    assert_eq!(
        moderators["orderedItems"],
        serde_json::json!([server.url("/users/alice")])
    );

    // Browsers get pages; names of the other kind do not resolve.
    let (status, page) = server.get("/users/alice", BROWSER).await;
    assert_eq!(status, 200);
    assert!(page.contains("@alice@"), "{page}");
    let (status, page) = server.get("/c/rust", BROWSER).await;
    assert_eq!(status, 200);
    assert!(page.contains("community"));
    assert_eq!(server.get("/c/alice", AP).await.0, 404);
    assert_eq!(server.get("/users/rust", AP).await.0, 404);
    assert_eq!(server.get("/users/nobody", AP).await.0, 404);
}

async fn nodeinfo(server: &TestServer) {
    let links = server
        .get_json("/.well-known/nodeinfo", "application/json")
        .await;
    let links = links["links"].as_array().unwrap();
    assert_eq!(links.len(), 2);
    for link in links {
        let href = link["href"].as_str().unwrap();
        let path = href.strip_prefix(&server.base).expect("local link");
        let info = server.get_json(path, "application/json").await;
        assert_eq!(info["software"]["name"], "guild");
        assert_eq!(info["protocols"], serde_json::json!(["activitypub"]));
        assert_eq!(info["usage"]["users"]["total"], 1);
        assert_eq!(info["metadata"]["communities"], 1);
        assert!(link["rel"]
            .as_str()
            .unwrap()
            .ends_with(info["version"].as_str().unwrap()));
    }
    assert_eq!(server.get("/nodeinfo/9.9", "application/json").await.0, 404);
}

async fn instance(server: &TestServer) {
    let expected_version = format!("4.2.0 (compatible; Guild {})", env!("CARGO_PKG_VERSION"));
    let v1 = server
        .get_json("/api/v1/instance", "application/json")
        .await;
    spec::assert_matches("V1Instance", &v1);
    assert_eq!(v1["version"], expected_version);
    assert_eq!(v1["uri"], server.domain);
    assert_eq!(v1["contact_account"]["username"], "alice");
    spec::assert_matches("Account", &v1["contact_account"]);
    let v2 = server
        .get_json("/api/v2/instance", "application/json")
        .await;
    spec::assert_matches("Instance", &v2);
    assert_eq!(v2["version"], expected_version);
    assert_eq!(v2["domain"], server.domain);
    assert_eq!(v2["registrations"]["approval_required"], true);
    spec::assert_matches("Account", &v2["contact"]["account"]);
    assert_eq!(v2["contact"]["account"]["group"], false);
}

async fn misc(server: &TestServer) {
    // Browser apps read paging and rate-limit headers across origins.
    let response = server
        .http
        .get(server.url("/api/v1/instance"))
        .header("Origin", "https://elk.example")
        .send()
        .await
        .unwrap();
    let headers = response.headers();
    assert_eq!(headers["x-ratelimit-limit"], "300");
    assert_eq!(
        headers["access-control-allow-origin"],
        "https://elk.example"
    );
    let exposed = headers["access-control-expose-headers"]
        .to_str()
        .unwrap()
        .to_lowercase();
    assert!(
        exposed.contains("link") && exposed.contains("x-ratelimit-remaining"),
        "{exposed}"
    );
    assert_eq!(server.get_json("/healthz", "*/*").await["status"], "ok");
    // Trailing slashes are tolerated, unknown paths are JSON 404s, images are served.
    assert_eq!(
        server.get("/api/v1/instance/", "application/json").await.0,
        200
    );
    let (status, body) = server.get("/api/v1/nothing-here", "application/json").await;
    assert_eq!(status, 404);
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()["error"],
        "Record not found"
    );
    for image in [
        "/static/avatar.png",
        "/static/header.png",
        "/static/thumbnail.png",
    ] {
        let response = server.http.get(server.url(image)).send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "image/png");
    }
}

#[test]
fn the_spec_check_can_fail() {
    let result =
        std::panic::catch_unwind(|| spec::assert_matches("Account", &serde_json::json!({"id": 1})));
    assert!(
        result.is_err(),
        "an Account without its required fields must not pass"
    );
}
