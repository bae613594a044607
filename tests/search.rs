//! Full-text search of posts through `/api/v2/search`, on each backend: among two thousand
//! posts of every visibility, each viewer finds exactly the matching posts they may see, with
//! stemming, prefixes, phrases, titles first, paging, and people who asked not to be indexed
//! left out for others.

mod common;

use common::{api::Client, backends, forms::FormClient, Backend, TestServer};
use guild::domain::Visibility;
use guild::service::statuses::{create, NewPost};
use serde_json::{json, Value};

#[actix_web::test]
async fn people_find_posts_by_their_words_as_far_as_they_may_see_them() {
    for backend in backends() {
        eprintln!("full-text search on {}", backend.name());
        search_on(&backend).await;
    }
}

/// The texts of the posts `who` finds for `query`, best first.
async fn found(who: &Client<'_>, query: &str) -> Vec<String> {
    let path = format!(
        "/api/v2/search?type=statuses&q={}",
        url::form_urlencoded::byte_serialize(query.as_bytes()).collect::<String>()
    );
    let body = who.get(&path).await;
    texts(&body["statuses"])
}

fn texts(statuses: &Value) -> Vec<String> {
    statuses
        .as_array()
        .unwrap()
        .iter()
        .map(|s| guild::service::text::plain(s["content"].as_str().unwrap()))
        .collect()
}

async fn search_on(backend: &Backend) {
    let server = TestServer::start_with(backend, &[("GUILD_OAUTH_PASSWORD_GRANT", "true")]).await;
    for name in ["ann", "ben", "cat", "dan", "eve"] {
        server.create_user(name, false).await;
    }
    server.create_community("platform", "ann").await;
    let [ann, ben, cat, dan, eve] = [
        Client::password(&server, "ann").await,
        Client::password(&server, "ben").await,
        Client::password(&server, "cat").await,
        Client::password(&server, "dan").await,
        Client::password(&server, "eve").await,
    ];

    // Two thousand posts about something else, written as the service writes any post.
    server
        .with_db(|conn, config| {
            let ann = guild::store::accounts::local_by_username(conn, "ann")?.unwrap();
            for n in 0..2000 {
                let mut post = NewPost::new(Visibility::Public);
                post.text = format!("Lunch update number {n}: soup again");
                create(conn, config, &ann, post)?;
            }
            Ok(())
        })
        .await;
    let ann_id = ann.get("/api/v1/accounts/verify_credentials").await["id"].clone();
    ben.post(
        &format!("/api/v1/accounts/{}/follow", ann_id.as_str().unwrap()),
        json!({}),
    )
    .await;
    ann.post(
        "/api/v1/guild/communities",
        json!({"name": "inner", "visibility": "members", "membership_policy": "approval"}),
    )
    .await;
    for (status, visibility, title) in [
        (
            "Our build cache lives on the shared runners",
            "public",
            None,
        ),
        (
            "@platform How do we share build caches between teams?",
            "public",
            Some("Caching builds"),
        ),
        ("Notes on caching, for later", "public", None),
        ("Secret build cache plans", "private", None),
        ("@cat the build cache key is in the vault", "direct", None),
        (
            "@inner Inner build cache notes",
            "public",
            Some("Inner notes"),
        ),
    ] {
        let mut body = json!({"status": status, "visibility": visibility});
        if let Some(title) = title {
            body["title"] = json!(title);
        }
        let posted = ann.post("/api/v1/statuses", body).await;
        assert!(posted["id"].is_string(), "{posted}");
    }
    let not_indexed = json!({"discoverable": false});
    let path = "/api/v1/accounts/update_credentials";
    let patched = eve
        .status_of(reqwest::Method::PATCH, path, Some(not_indexed))
        .await;
    assert_eq!(patched, 200);
    eve.post(
        "/api/v1/statuses",
        json!({"status": "Eve's build cache, not to be indexed", "visibility": "public"}),
    )
    .await;

    // A thread's content starts with its title, for apps that show no titles.
    let public = [
        "Caching builds\n\n@platform How do we share build caches between teams?",
        "Our build cache lives on the shared runners",
    ];
    let sorted = |mut texts: Vec<String>| {
        texts.sort();
        texts
    };
    let with = |more: &str| {
        sorted(
            [&public[..], &[more]]
                .concat()
                .iter()
                .map(|t| t.to_string())
                .collect(),
        )
    };
    assert_eq!(
        sorted(found(&dan, "build cache").await),
        public,
        "a stranger: public posts only"
    );
    assert_eq!(
        sorted(found(&ben, "build cache").await),
        with("Secret build cache plans"),
        "a follower"
    );
    let direct = "@cat the build cache key is in the vault";
    assert_eq!(
        sorted(found(&cat, "build cache").await),
        with(direct),
        "the one mentioned"
    );
    assert_eq!(
        found(&ann, "build cache").await.len(),
        5,
        "the author finds all five of hers"
    );
    assert_eq!(
        found(&eve, "build cache").await.len(),
        3,
        "eve finds her own post though it is not indexed for others"
    );

    assert_eq!(
        found(&dan, "\"shared runners\"").await,
        [public[1]],
        "a phrase"
    );
    assert_eq!(
        found(&dan, "\"runners shared\"").await,
        Vec::<String>::new()
    );
    let stems = found(&dan, "caching").await;
    assert_eq!(
        stems.len(),
        3,
        "caching, caches and cache share a stem: {stems:?}"
    );
    assert_eq!(
        stems[0], public[0],
        "the thread titled Caching comes first: {stems:?}"
    );
    assert_eq!(found(&dan, "runn*").await, [public[1]], "a prefix");
    assert_eq!(found(&dan, "\"'); DROP TABLE statuses; --").await.len(), 0);

    // Paging over two thousand matches: pages do not overlap; max_id narrows.
    let page = |query: String| {
        let dan = &dan;
        async move {
            dan.get(&format!(
                "/api/v2/search?type=statuses&q=soup&limit=40{query}"
            ))
            .await
        }
    };
    let first = page(String::new()).await["statuses"].clone();
    let second = page("&offset=40".into()).await["statuses"].clone();
    let ids = |v: &Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].as_str().unwrap().to_string())
            .collect()
    };
    let (first, second) = (ids(&first), ids(&second));
    assert_eq!((first.len(), second.len()), (40, 40));
    assert!(first.iter().all(|id| !second.contains(id)));
    let oldest = first
        .iter()
        .min_by_key(|id| id.parse::<i64>().unwrap())
        .unwrap();
    let older = ids(&page(format!("&max_id={oldest}")).await["statuses"]);
    assert!(older
        .iter()
        .all(|id| id.parse::<i64>().unwrap() < oldest.parse::<i64>().unwrap()));

    // Without a token, no posts are searched.
    let anonymous = reqwest::get(format!(
        "{}/api/v2/search?type=statuses&q=cache",
        server.base
    ))
    .await
    .unwrap()
    .json::<Value>()
    .await
    .unwrap();
    assert_eq!(anonymous["statuses"], json!([]));

    // The web's search page lists the same posts for a signed-in reader.
    let page = FormClient::signed_in(&server, "ben")
        .await
        .get("/search?q=build+cache")
        .await;
    assert_eq!(page.status, 200);
    // Found words are marked.
    assert!(page.body.contains("<mark>build</mark> <mark>cache</mark>"));
    let text = page.body.replace("<mark>", "").replace("</mark>", "");
    for (text_of_post, shown) in [
        ("shared runners", true),
        ("Secret build cache plans", true),
        ("the vault", false),
        ("Inner build cache notes", false),
    ] {
        assert_eq!(text.contains(text_of_post), shown, "{text_of_post}: {text}");
    }
    let signed_out = FormClient::new(&server).get("/search?q=build+cache").await;
    assert!(!signed_out.body.contains("shared runners"));
    server.stop().await;
}
