//! Personal knowledge: bookmarks carry a private note and tags and are listed by tag, through
//! the API and the web; a person downloads their posts and bookmarks as Markdown files in a zip
//! archive and imports the bookmarks, notes and tags included, on another instance; a
//! community's moderators export its threads as Markdown; a community's posts are searched
//! from its page, words marked.

mod common;

use common::{api::Client, backends, forms::FormClient, Backend, TestServer};
use reqwest::Method;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::Read;

const PASSWORD_GRANT: (&str, &str) = ("GUILD_OAUTH_PASSWORD_GRANT", "true");

/// The files of a zip archive, by path.
fn unzip(bytes: Vec<u8>) -> BTreeMap<String, String> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a zip archive");
    let mut files = BTreeMap::new();
    for i in 0..archive.len() {
        let mut file = archive.by_index(i).unwrap();
        let mut text = String::new();
        file.read_to_string(&mut text).unwrap();
        files.insert(file.name().unwrap().to_string(), text);
    }
    files
}

fn id(value: &Value) -> String {
    value["id"].as_str().expect("an id").to_string()
}

#[actix_web::test]
async fn bookmarks_and_threads_travel_as_markdown() {
    for backend in backends() {
        eprintln!("knowledge with alpha on {}", backend.name());
        knowledge_on(&backend).await;
    }
}

async fn knowledge_on(backend: &Backend) {
    let alpha = TestServer::start_with(backend, &[PASSWORD_GRANT]).await;
    let beta = TestServer::start_with(&Backend::Sqlite, &[PASSWORD_GRANT]).await;
    for name in ["ann", "carl"] {
        alpha.create_user(name, false).await;
    }
    beta.create_user("ann", false).await;
    let ann = Client::password(&alpha, "ann").await;
    let carl = Client::password(&alpha, "carl").await;

    // Ann runs a community; carl starts a thread there and ann replies.
    let dev = ann
        .post(
            "/api/v1/guild/communities",
            json!({"name": "dev", "display_name": "Developers", "posting_policy": "anyone"}),
        )
        .await;
    let thread = carl
        .post(
            "/api/v1/statuses",
            json!({"status": format!("@dev@{} How do we cut a release?", alpha.domain),
                   "title": "Cutting a release"}),
        )
        .await;
    ann.post(
        "/api/v1/statuses",
        json!({"status": "Tag it, then `cargo build --release`.", "in_reply_to_id": id(&thread)}),
    )
    .await;
    let tip = carl
        .post(
            "/api/v1/statuses",
            json!({"status": "Tip: run clippy first."}),
        )
        .await;

    // Searching within the community finds its thread, words marked, and not carl's tip.
    let browser = FormClient::signed_in(&alpha, "ann").await;
    let found = browser.get("/search?community=dev&q=releases").await.body;
    assert!(found.contains("Search in Developers"), "{found}");
    assert!(found.contains("cut a <mark>release</mark>?"), "{found}");
    assert!(!found.contains("run clippy"), "{found}");
    let found = ann
        .get(&format!(
            "/api/v2/search?type=statuses&q=clippy&community_id={}",
            id(&dev)
        ))
        .await;
    assert_eq!(found["statuses"], json!([]), "the tip is not in dev");
    let community_page = browser.get("/c/dev").await.body;
    assert!(community_page.contains("Search this community"));

    // Ann bookmarks the thread with a note and tags, and the tip with a tag.
    let path = |status: &Value| format!("/api/v1/guild/bookmarks/{}", id(status));
    let kept = ann
        .call(
            Method::PUT,
            &path(&thread),
            Some(
                json!({"note": "Read before the retro.\n\nAsk carl.", "tags": ["release", "#CI"]}),
            ),
        )
        .await;
    assert_eq!(kept.0, 200, "{}", kept.1);
    assert_eq!(kept.1["tags"], json!(["ci", "release"]));
    assert_eq!(kept.1["status"]["id"], id(&thread).as_str());
    assert_eq!(kept.1["status"]["bookmarked"], true);
    let (status, _, _) = ann
        .call(Method::PUT, &path(&tip), Some(json!({"tags": ["ci"]})))
        .await;
    assert_eq!(status, 200);
    let (status, body, _) = ann
        .call(
            Method::PUT,
            &path(&tip),
            Some(json!({"tags": ["no spaces"]})),
        )
        .await;
    assert_eq!(status, 422, "{body}");

    // Listed by tag, newest first; the note is ann's alone.
    let tagged = ann.get("/api/v1/guild/bookmarks?tag=ci").await;
    let ids: Vec<&str> = tagged
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["status"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![id(&tip), id(&thread)]);
    let release = ann.get("/api/v1/guild/bookmarks?tag=release").await;
    assert_eq!(release.as_array().unwrap().len(), 1);
    assert_eq!(release[0]["note"], "Read before the retro.\n\nAsk carl.");
    assert_eq!(carl.get("/api/v1/guild/bookmarks").await, json!([]));

    // The web shows ann her bookmarks with notes, by tag, and lets her write on them.
    let page = browser.get("/bookmarks").await.body;
    assert!(page.contains("Read before the retro."), "{page}");
    assert!(page.contains("href=\"/bookmarks?tag=ci\""), "{page}");
    assert!(
        page.contains("#ci</a> <span class=\"muted\">(2)</span>"),
        "{page}"
    );
    let page = browser.get("/bookmarks?tag=release").await.body;
    assert!(page.contains("Bookmarks tagged #release"), "{page}");
    assert!(page.contains("How do we cut a release?"), "{page}");
    assert!(!page.contains("run clippy"), "{page}");
    let saved = browser
        .submit(
            &format!("/bookmarks/{}", id(&tip)),
            &[("note", "Check the lints."), ("tags", "#ci, lint")],
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let lint = ann.get("/api/v1/guild/bookmarks?tag=lint").await;
    assert_eq!(lint[0]["note"], "Check the lints.", "{lint}");
    assert_eq!(lint[0]["tags"], json!(["ci", "lint"]));
    // Carl bookmarks the thread from its page and lets it go from his bookmarks; ann's
    // notes are nowhere on his.
    let carls = FormClient::signed_in(&alpha, "carl").await;
    let thread_page = format!("/statuses/{}", id(&thread));
    carls.get(&thread_page).await;
    let kept = carls.submit(&format!("{thread_page}/bookmark"), &[]).await;
    assert_eq!(kept.status, 303, "{}", kept.body);
    assert!(carls
        .get(&thread_page)
        .await
        .body
        .contains("Remove bookmark"));
    let his = carls.get("/bookmarks").await.body;
    assert!(his.contains("How do we cut a release?"), "{his}");
    assert!(!his.contains("Read before the retro."), "{his}");
    let gone = carls
        .submit(&format!("/bookmarks/{}", id(&thread)), &[("remove", "1")])
        .await;
    assert_eq!(gone.location.as_deref(), Some("/bookmarks"));
    assert_eq!(carl.get("/api/v1/guild/bookmarks").await, json!([]));
    // What ann may not see, she cannot keep.
    let secret = carl
        .post(
            "/api/v1/statuses",
            json!({"status": "a note to self", "visibility": "direct"}),
        )
        .await;
    let refused = browser
        .submit(&format!("/statuses/{}/bookmark", id(&secret)), &[])
        .await;
    assert_eq!(refused.status, 404, "{}", refused.body);
    let refused = browser
        .submit(&format!("/bookmarks/{}", id(&secret)), &[("note", "mine")])
        .await;
    assert_eq!(refused.status, 404, "{}", refused.body);

    // The archive: ann's posts as Markdown files, her bookmarks with notes and tags.
    let page = browser.get("/settings/password").await;
    assert!(page.body.contains("/settings/export/guild-archive.zip"));
    let (status, bytes) = browser.download("/settings/export/guild-archive.zip").await;
    assert_eq!(status, 200);
    let files = unzip(bytes);
    assert!(files.contains_key("README.md"), "{:?}", files.keys());
    let posts: Vec<&String> = files
        .iter()
        .filter(|(name, _)| name.starts_with("posts/"))
        .map(|(_, text)| text)
        .collect();
    assert_eq!(posts.len(), 1, "ann wrote one post: {:?}", files.keys());
    assert!(posts[0].contains("Tag it, then `cargo build --release`."));
    assert!(posts[0].contains(&format!(
        "in_reply_to: \"{}\"",
        thread["uri"].as_str().unwrap()
    )));
    let notes = &files["bookmarks.md"];
    assert!(notes.contains("Read before the retro."), "{notes}");
    assert!(notes.contains("Tags: #ci #release"), "{notes}");
    assert!(notes.contains("> Tip: run clippy first."), "{notes}");

    // Ann takes them to beta: the posts are fetched from alpha, notes and tags kept.
    let elsewhere = FormClient::signed_in(&beta, "ann").await;
    elsewhere.get("/settings/password").await;
    let done = elsewhere
        .submit(
            "/settings/import",
            &[("file", "bookmarks.md"), ("data", notes.as_str())],
        )
        .await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(
        done.body.contains("Imported 2 from bookmarks.md"),
        "{}",
        done.body
    );
    let ann_on_beta = Client::password(&beta, "ann").await;
    let moved = ann_on_beta.get("/api/v1/guild/bookmarks?tag=release").await;
    assert_eq!(
        moved[0]["note"], "Read before the retro.\n\nAsk carl.",
        "{moved}"
    );
    assert_eq!(moved[0]["status"]["uri"], thread["uri"]);
    let ci = ann_on_beta.get("/api/v1/guild/bookmarks?tag=ci").await;
    assert_eq!(ci.as_array().unwrap().len(), 2);

    // Ann moderates dev: its threads come as Markdown, each with its replies.
    let (status, bytes) = browser.download("/c/dev/export").await;
    assert_eq!(status, 200);
    let threads = unzip(bytes);
    let (name, doc) = threads
        .iter()
        .find(|(name, _)| name.starts_with("threads/"))
        .expect("the thread's file");
    assert!(name.ends_with("-cutting-a-release.md"), "{name}");
    assert!(doc.contains("# Cutting a release"), "{doc}");
    assert!(doc.contains("How do we cut a release?"), "{doc}");
    assert!(
        doc.contains("Tag it, then `cargo build --release`."),
        "{doc}"
    );
    assert!(threads["README.md"].contains("[Cutting a release](threads/"));
    // Others may not; the API gives moderators the same archive.
    assert_eq!(carls.download("/c/dev/export").await.0, 403);
    let export = format!("/api/v1/guild/communities/{}/export", id(&dev));
    assert_eq!(carl.status_of(Method::GET, &export, None).await, 403);
}
