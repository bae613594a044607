//! Attachments: uploads are limited while they stream in, files no post keeps are swept
//! (stale uploads, deleted posts), and received attachments are kept linked, http(s) only and
//! capped, and not at all from a domain whose media are refused.

mod common;

use common::{
    api::Client, backends, eventually, photo, python::S3Server, signed, Backend, TestServer,
};
use guild::store::{media, statuses};
use serde_json::{json, Value};

const SETTINGS: &[(&str, &str)] = &[
    ("GUILD_OAUTH_PASSWORD_GRANT", "true"),
    ("GUILD_MEDIA_MAX_FILE_BYTES", "65536"),
];

async fn attachments(server: &TestServer) -> Vec<media::Attachment> {
    server
        .with_db(|conn, _| {
            use diesel::prelude::*;
            use guild::db::schema::media_attachments::dsl::*;
            Ok(media_attachments
                .select(media::Attachment::as_select())
                .load(conn)?)
        })
        .await
}

#[actix_web::test]
async fn uploads_are_limited_and_swept() {
    for backend in backends() {
        eprintln!("uploads_are_limited_and_swept on {}", backend.name());
        uploads_on(&backend, None).await;
    }
}

/// The same with files kept in an S3 bucket (moto's server) instead of a directory.
#[actix_web::test]
async fn uploads_on_s3_storage() {
    let s3 = S3Server::start().await;
    // The server checks signatures: neither an unsigned request nor a wrong secret gets in.
    let unsigned = reqwest::Client::new()
        .put(format!("{}/{}/planted", s3.endpoint, s3.bucket))
        .body("x")
        .send()
        .await
        .unwrap();
    assert!(!unsigned.status().is_success(), "{unsigned:?}");
    let wrong: Vec<(String, String)> = s3
        .settings_with_secret("not-the-secret")
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    let config = guild::config::Config::from_sources(None, &wrong).unwrap();
    let files = guild::files::FileStore::open(&config).unwrap();
    assert!(files.put("planted", b"x".to_vec()).await.is_err());
    assert!(s3.keys().await.is_empty());
    uploads_on(&Backend::Sqlite, Some(&s3)).await;
}

async fn uploads_on(backend: &Backend, s3: Option<&S3Server>) {
    let s3_settings = s3.map(S3Server::settings).unwrap_or_default();
    let settings: Vec<(&str, &str)> = SETTINGS
        .iter()
        .copied()
        .chain(s3_settings.iter().map(|(k, v)| (*k, v.as_str())))
        .collect();
    let alpha = TestServer::start_with(backend, &settings).await;
    alpha.create_user("ann", false).await;
    let ann = Client::password(&alpha, "ann").await;

    // Over the limit, a file is refused while it streams in; so is a huge text field.
    let mut big_pdf = b"%PDF-1.4\n".to_vec();
    big_pdf.resize(100_000, b' ');
    let (status, body) = ann
        .multipart("/api/v2/media", &[("file", Some("big.pdf"), &big_pdf)])
        .await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("too large"),
        "{body}"
    );
    let long = vec![b'x'; 2 * 1024 * 1024];
    let (status, _) = ann
        .multipart("/api/v2/media", &[("description", None, &long)])
        .await;
    assert_eq!(status, 413);
    let (status, _) = ann
        .multipart("/api/v2/media", &[("description", None, b"no file")])
        .await;
    assert_eq!(status, 422);
    assert!(
        attachments(&alpha).await.is_empty(),
        "nothing refused was kept"
    );

    // A photo is taken, posted, and its files go when the post is deleted.
    let (status, kept) = ann
        .multipart(
            "/api/v2/media",
            &[
                ("file", Some("a.jpg"), &photo()),
                ("description", None, b"a gradient"),
            ],
        )
        .await;
    assert_eq!(status, 200, "{kept}");
    assert_eq!(kept["meta"]["original"]["size"], "64x48");
    let post = ann
        .post(
            "/api/v1/statuses",
            json!({"status": "look", "media_ids": [kept["id"]]}),
        )
        .await;
    let file = kept["url"].as_str().unwrap().replace(&alpha.base, "");
    let preview = kept["preview_url"]
        .as_str()
        .unwrap()
        .replace(&alpha.base, "");
    let whole = alpha.http.get(alpha.url(&file)).send().await.unwrap();
    assert_eq!(whole.status().as_u16(), 200);
    assert_eq!(whole.headers()["content-type"], "image/jpeg");
    assert_eq!(whole.headers()["accept-ranges"], "bytes");
    let photo_size = whole.bytes().await.unwrap().len();
    // Files are served in ranges, as video players ask for them.
    let part = alpha
        .http
        .get(alpha.url(&file))
        .header("Range", "bytes=0-9")
        .send()
        .await
        .unwrap();
    assert_eq!(part.status().as_u16(), 206);
    assert_eq!(part.headers()["x-content-type-options"], "nosniff");
    assert_eq!(
        part.headers()["content-range"],
        format!("bytes 0-9/{}", photo_size)
    );
    assert_eq!(part.bytes().await.unwrap().len(), 10);
    let past_the_end = format!("bytes={photo_size}-");
    let refused = alpha
        .http
        .get(alpha.url(&file))
        .header("Range", past_the_end)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 416);
    // A range that ends before it starts is no range: the whole file.
    let backwards = alpha
        .http
        .get(alpha.url(&file))
        .header("Range", "bytes=5-3")
        .send()
        .await
        .unwrap();
    assert_eq!(backwards.status().as_u16(), 200);
    let key = file.trim_start_matches("/media/").to_string();
    if let Some(s3) = s3 {
        assert!(s3.keys().await.contains(&key), "the photo is in the bucket");
        assert!(!alpha.dir.path().join("media").join(&key).exists());
    } else {
        assert!(alpha.dir.path().join("media").join(&key).exists());
    }
    // An edit that sends only new alt text keeps the text.
    let (status, edited, _) = ann
        .call(
            reqwest::Method::PUT,
            &format!("/api/v1/statuses/{}", post["id"].as_str().unwrap()),
            Some(json!({"media_attributes": [{"id": kept["id"], "description": "a gradient"}]})),
        )
        .await;
    assert_eq!(status, 200, "{edited}");
    assert_eq!(edited["content"], "<p>look</p>");
    // Only uploads take files, two at most.
    let (status, _) = ann
        .multipart(
            "/api/v1/statuses",
            &[("status", None, b"hi"), ("file", Some("a.jpg"), &photo())],
        )
        .await;
    assert_eq!(status, 422);
    let three: Vec<(&str, Option<&str>, &[u8])> = vec![
        ("a", Some("a.pdf"), b"%PDF-1.4\n"),
        ("b", Some("b.pdf"), b"%PDF-1.4\n"),
        ("c", Some("c.pdf"), b"%PDF-1.4\n"),
    ];
    let (status, _) = ann.multipart("/api/v2/media", &three).await;
    assert_eq!(status, 422);
    // The post's page shows the picture's preview with its alt text.
    let page_path = format!("/statuses/{}", post["id"].as_str().unwrap());
    let (status, page) = alpha.get(&page_path, "text/html").await;
    assert_eq!(status, 200);
    assert!(
        page.contains(&format!(r#"<img src="{preview}" alt="a gradient""#)),
        "{page}"
    );
    let (status, _, _) = ann
        .call(
            reqwest::Method::DELETE,
            &format!("/api/v1/statuses/{}", post["id"].as_str().unwrap()),
            None,
        )
        .await;
    assert_eq!(status, 200);

    // An upload no post took within a day goes too; a fresh one stays.
    let (_, stale) = ann
        .multipart("/api/v2/media", &[("file", Some("b.jpg"), &photo())])
        .await;
    let (_, fresh) = ann
        .multipart("/api/v2/media", &[("file", Some("c.jpg"), &photo())])
        .await;
    let stale_id: i64 = stale["id"].as_str().unwrap().parse().unwrap();
    alpha
        .with_db(move |conn, _| {
            use diesel::prelude::*;
            use guild::db::schema::media_attachments::dsl::*;
            let two_days_ago = guild::time::now() - chrono::Duration::days(2);
            diesel::update(media_attachments.find(stale_id))
                .set(created_at.eq(two_days_ago))
                .execute(conn)?;
            Ok(())
        })
        .await;
    let removed = guild::service::media::sweep(
        (&alpha.state.db, &alpha.state.files),
        guild::service::media::UNATTACHED_FOR,
        |_| {},
    )
    .await
    .unwrap();
    assert_eq!(removed, 2, "the deleted post's photo and the stale upload");
    assert_eq!(alpha.get(&file, "*/*").await.0, 404);
    assert_eq!(alpha.get(&preview, "*/*").await.0, 404);
    if let Some(s3) = s3 {
        assert!(!s3.keys().await.contains(&key), "the photo left the bucket");
    }
    let usage = guild::service::media::usage(&alpha.state.db, &alpha.state.files)
        .await
        .unwrap();
    assert_eq!(usage.files, 2, "the fresh upload and its preview");
    let left: Vec<String> = attachments(&alpha)
        .await
        .iter()
        .map(|a| a.id.to_string())
        .collect();
    assert_eq!(left, vec![fresh["id"].as_str().unwrap().to_string()]);
    alpha.stop().await;
}

#[actix_web::test]
async fn received_attachments_are_kept_safely() {
    let alpha = TestServer::start(&Backend::Sqlite).await;
    let beta = TestServer::start(&Backend::Sqlite).await;
    alpha.create_user("alice", false).await;
    let (alice, signer) = alpha.signer("alice").await;
    let public = "https://www.w3.org/ns/activitystreams#Public";
    let mut files: Vec<Value> = (0..12)
        .map(|n| json!({"type": "Document", "mediaType": "image/png", "url": format!("https://files.example/{n}.png"), "name": format!("picture {n}")}))
        .collect();
    files.insert(
        0,
        json!({"type": "Document", "mediaType": "image/png", "url": "javascript:alert(1)"}),
    );
    files.insert(1, json!({"type": "Image", "url": [{"type": "Link", "href": "https://files.example/linked.jpg", "mediaType": "image/jpeg"}],
                          "blurhash": "LEHV6nWB2yk8pyo0adR*.7kCMdnj", "width": 800, "height": 600, "focalPoint": [0.5, 2.0]}));
    let create = |n: u32, files: Vec<Value>| {
        json!({
            "id": alpha.url(&format!("/activities/media-{n}")), "type": "Create", "actor": alice.ap_id, "to": [public],
            "object": {"id": alpha.url(&format!("/statuses/media-{n}")), "type": "Note", "attributedTo": alice.ap_id,
                       "to": [public], "content": "pictures", "attachment": files}
        })
    };
    assert_eq!(
        signed(&beta, "/inbox", &create(1, files), &signer).await,
        202
    );
    let note = alpha.url("/statuses/media-1");
    let stored = beta
        .with_db(move |conn, _| statuses::by_ap_id(conn, &note))
        .await
        .expect("stored");
    let kept = beta
        .with_db(move |conn, _| media::of_statuses(conn, &[stored.id]))
        .await;
    assert_eq!(kept.len(), 8, "capped");
    assert_eq!(
        kept[0].remote_url.as_deref(),
        Some("https://files.example/linked.jpg")
    );
    assert_eq!(
        (kept[0].width, kept[0].height, kept[0].focus_x),
        (Some(800), Some(600), None)
    );
    assert_eq!(kept[1].description.as_deref(), Some("picture 0"));
    assert!(kept.iter().all(|a| a
        .remote_url
        .as_deref()
        .is_some_and(|u| u.starts_with("https://"))));

    // From a domain whose media are refused, the post is kept without its files.
    let domain = alpha.domain.clone();
    beta.with_db(move |conn, _| {
        guild::service::policy::set(
            conn,
            &domain,
            guild::domain::DomainPolicy::RejectMedia,
            "test",
        )
    })
    .await;
    let one = vec![
        json!({"type": "Document", "mediaType": "image/png", "url": "https://files.example/x.png"}),
    ];
    assert_eq!(signed(&beta, "/inbox", &create(2, one), &signer).await, 202);
    let note = alpha.url("/statuses/media-2");
    let stored = beta
        .with_db(move |conn, _| statuses::by_ap_id(conn, &note))
        .await
        .expect("the post itself is kept");
    let kept = beta
        .with_db(move |conn, _| media::of_statuses(conn, &[stored.id]))
        .await;
    assert!(kept.is_empty());
    alpha.stop().await;
    beta.stop().await;
}

#[actix_web::test]
async fn link_previews_and_link_threads() {
    let alpha = TestServer::start_with(&Backend::Sqlite, SETTINGS).await;
    let beta = TestServer::start_with(
        &Backend::Sqlite,
        &[SETTINGS[0], ("GUILD_INSTANCE_NAME", "Beta & Docs")],
    )
    .await;
    alpha.create_user("ann", false).await;
    let ann = Client::password(&alpha, "ann").await;

    // The first link of a post gets a card from the page's title, fetched in the background.
    let page = beta.url("/");
    let post = ann
        .post(
            "/api/v1/statuses",
            json!({"status": format!("The rota is at {page} now")}),
        )
        .await;
    let path = format!("/api/v1/statuses/{}", post["id"].as_str().unwrap());
    eventually("the link gets its card", || async {
        !ann.get(&path).await["card"].is_null()
    })
    .await;
    let card = ann.get(&path).await["card"].clone();
    assert_eq!(card["url"], page.as_str());
    assert_eq!(card["title"], "Beta & Docs");
    assert_eq!(card["provider_name"], "localhost");

    // A Lemmy link thread keeps its link and thumbnail as its card, not as a file.
    alpha.create_user("alice", false).await;
    let (alice, signer) = alpha.signer("alice").await;
    let public = "https://www.w3.org/ns/activitystreams#Public";
    let thread = alpha.url("/post/7");
    let create = json!({
        "id": alpha.url("/activities/link-1"), "type": "Create", "actor": alice.ap_id, "to": [public],
        "object": {"id": thread, "type": "Page", "attributedTo": alice.ap_id, "to": [public],
                   "name": "Incident reviews that work", "content": "<p>Worth a read.</p>",
                   "attachment": [{"type": "Link", "href": "https://articles.example/reviews"}],
                   "image": {"type": "Image", "url": "https://articles.example/thumb.jpg"}}
    });
    assert_eq!(signed(&beta, "/inbox", &create, &signer).await, 202);
    let bob = {
        beta.create_user("bob", false).await;
        Client::password(&beta, "bob").await
    };
    let stored = beta
        .with_db(move |conn, _| statuses::by_ap_id(conn, &thread))
        .await
        .expect("stored");
    let shown = bob.get(&format!("/api/v1/statuses/{}", stored.id)).await;
    assert_eq!(shown["card"]["url"], "https://articles.example/reviews");
    assert_eq!(shown["card"]["title"], "Incident reviews that work");
    assert_eq!(shown["card"]["image"], "https://articles.example/thumb.jpg");
    assert_eq!(shown["media_attachments"], json!([]));
    assert_ne!(shown["url"], "https://articles.example/reviews");
    alpha.stop().await;
    beta.stop().await;
}
