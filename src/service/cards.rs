//! Link previews: the first link of a post (not a mention or hashtag) gets a card with the
//! page's title, description and image, read from its OpenGraph tags or its `<title>`. Pages
//! are fetched in the background, once per URL, through the same guarded client as
//! federation (no private addresses unless insecure federation is on), with a timeout, a
//! size bound and at most a few redirects. The card's image is linked, not copied.

use crate::config::Config;
use crate::db::{Db, DbConn};
use crate::domain::CardState;
use crate::error::Error;
use crate::store::cards::{self, Card, Link};
use regex::Regex;
use std::sync::LazyLock;
use url::Url;

/// Longest URL that gets a card.
const MAX_URL: usize = 2048;
/// How much of a page is read: the head, where the tags are, comes first.
const MAX_PAGE_BYTES: usize = 512 * 1024;
const MAX_REDIRECTS: usize = 3;
/// Tries before a page that cannot be had is given up.
const MAX_ATTEMPTS: i32 = 3;

/// A card as the post's own server described it (a Lemmy link thread).
#[derive(Clone)]
pub struct Given {
    pub url: String,
    pub title: String,
    pub image_url: Option<String>,
}

static LINK: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"(?is)<a\s([^>]*)>"#).expect("link pattern"));
static ATTRIBUTE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?s)([a-zA-Z_:][-a-zA-Z0-9_:.]*)\s*=\s*(?:"([^"]*)"|'([^']*)')"#)
        .expect("attribute pattern")
});
static META: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"(?is)<meta\s([^>]*)>"#).expect("meta pattern"));
static TITLE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"(?is)<title[^>]*>(.*?)</title>"#).expect("title pattern"));
static TAG: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?s)<[^>]*>").expect("tag pattern"));

/// The attributes of a tag, names lowercased, values with entities decoded.
fn attributes(tag: &str) -> Vec<(String, String)> {
    ATTRIBUTE
        .captures_iter(tag)
        .map(|c| {
            let value = c.get(2).or_else(|| c.get(3)).map_or("", |m| m.as_str());
            (c[1].to_ascii_lowercase(), decode_entities(value))
        })
        .collect()
}

static NUMERIC: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"&#(?:[xX]([0-9a-fA-F]{1,6})|([0-9]{1,7}));").expect("pattern"));

/// Text with the entities pages use decoded: named ones for markup, and numeric ones.
fn decode_entities(text: &str) -> String {
    let numeric = NUMERIC.replace_all(text, |c: &regex::Captures| {
        let code = match (c.get(1), c.get(2)) {
            (Some(hex), _) => u32::from_str_radix(hex.as_str(), 16).ok(),
            (_, Some(decimal)) => decimal.as_str().parse().ok(),
            _ => None,
        };
        code.and_then(char::from_u32)
            .map_or(String::new(), String::from)
    });
    numeric
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&")
}

fn web_url(text: &str) -> Option<String> {
    let url = Url::parse(text.trim()).ok()?;
    (matches!(url.scheme(), "http" | "https") && url.as_str().len() <= MAX_URL)
        .then(|| url.to_string())
}

/// The first link of a post's HTML that is not a mention or a hashtag.
pub fn first_link(html: &str) -> Option<String> {
    LINK.captures_iter(html).find_map(|c| {
        let attributes = attributes(&c[1]);
        let value = |name: &str| {
            attributes
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
        };
        let class = value("class").unwrap_or_default();
        let is_tag = class.contains("mention")
            || class.contains("hashtag")
            || value("rel").is_some_and(|r| r.split_whitespace().any(|r| r == "tag"));
        if is_tag {
            return None;
        }
        web_url(value("href")?)
    })
}

/// Give a post its card: the link its server described (kept with the post alone, so no
/// peer can set the card other posts of that link show), or its first link's, fetched later.
/// Call inside the post's transaction.
pub fn link_post(
    conn: &mut DbConn,
    status_id: i64,
    content: &str,
    given: Option<Given>,
) -> Result<(), Error> {
    let described = given.and_then(|given| {
        Some(Link {
            status_id,
            url: web_url(&given.url)?,
            title: Some(plain(&given.title, 200)).filter(|t| !t.is_empty()),
            image_url: given.image_url.as_deref().and_then(web_url),
        })
    });
    let link = described.or_else(|| {
        first_link(content).map(|url| Link {
            status_id,
            url,
            title: None,
            image_url: None,
        })
    });
    cards::link(conn, status_id, link.as_ref())?;
    match link.filter(|l| l.title.is_none()) {
        Some(link) => cards::insert_new(conn, &pending(link.url, crate::time::now())),
        None => Ok(()),
    }
}

/// What a post's link shows: its own server's description, or the fetched card of its URL
/// once there is one.
pub fn shown(link: &Link, fetched: &[Card]) -> Option<Card> {
    match &link.title {
        Some(title) => Some(Card {
            title: title.clone(),
            image_url: link.image_url.clone(),
            provider_name: host_of(&link.url),
            state: CardState::Ready,
            ..pending(link.url.clone(), crate::time::now())
        }),
        None => fetched.iter().find(|c| c.url == link.url).cloned(),
    }
}

fn pending(url: String, now: chrono::NaiveDateTime) -> Card {
    Card {
        url,
        state: CardState::Pending,
        title: String::new(),
        description: String::new(),
        image_url: None,
        provider_name: String::new(),
        attempts: 0,
        fetched_at: None,
        created_at: now,
    }
}

fn host_of(url: &str) -> String {
    Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
        .unwrap_or_default()
}

/// Text without tags or runs of white space, at most `chars` long.
fn plain(text: &str, chars: usize) -> String {
    let decoded = decode_entities(text);
    let text = TAG.replace_all(&decoded, " ");
    let words: Vec<&str> = text.split_whitespace().collect();
    words.join(" ").chars().take(chars).collect()
}

/// What a page says of itself: title, description, image and site name.
pub fn describe(page: &str, url: &Url) -> Option<(String, String, Option<String>, String)> {
    let metas: Vec<Vec<(String, String)>> = META
        .captures_iter(page)
        .map(|c| attributes(&c[1]))
        .collect();
    let meta = |names: &[&str]| {
        metas.iter().find_map(|attributes| {
            let value = |name: &str| attributes.iter().find(|(n, _)| n == name).map(|(_, v)| v);
            let key = value("property").or_else(|| value("name"))?;
            names
                .iter()
                .any(|n| key.eq_ignore_ascii_case(n))
                .then(|| value("content").cloned())
                .flatten()
        })
    };
    let title = meta(&["og:title", "twitter:title"])
        .or_else(|| TITLE.captures(page).map(|c| c[1].to_string()))
        .map(|t| plain(&t, 200))
        .filter(|t| !t.is_empty())?;
    let description = meta(&["og:description", "twitter:description", "description"])
        .map(|d| plain(&d, 500))
        .unwrap_or_default();
    let image = meta(&["og:image", "twitter:image"])
        .and_then(|i| url.join(i.trim()).ok())
        .and_then(|i| web_url(i.as_str()));
    let site = meta(&["og:site_name"])
        .map(|s| plain(&s, 100))
        .unwrap_or_else(|| url.host_str().unwrap_or_default().to_string());
    Some((title, description, image, site))
}

/// Fetch the page at `url` (following a few redirects), up to [`MAX_PAGE_BYTES`].
async fn fetch_page(
    config: &Config,
    client: &reqwest::Client,
    url: &str,
) -> Result<(Url, String), String> {
    let mut url = Url::parse(url).map_err(|e| e.to_string())?;
    for _ in 0..=MAX_REDIRECTS {
        if !crate::delivery::may_connect(config, &url) {
            return Err("a private address".into());
        }
        let mut response = client
            .get(url.clone())
            .header("Accept", "text/html,application/xhtml+xml")
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if response.status().is_redirection() {
            let location = response
                .headers()
                .get("location")
                .and_then(|l| l.to_str().ok())
                .ok_or("a redirect without a location")?;
            url = url.join(location).map_err(|e| e.to_string())?;
            if !matches!(url.scheme(), "http" | "https") {
                return Err("a redirect away from the web".into());
            }
            continue;
        }
        if !response.status().is_success() {
            return Err(format!("answered {}", response.status()));
        }
        let html = response
            .headers()
            .get("content-type")
            .and_then(|t| t.to_str().ok())
            .is_some_and(|t| t.starts_with("text/html") || t.starts_with("application/xhtml"));
        if !html {
            return Err("not an HTML page".into());
        }
        let mut page = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| e.to_string())? {
            page.extend_from_slice(&chunk);
            if page.len() >= MAX_PAGE_BYTES {
                page.truncate(MAX_PAGE_BYTES);
                break;
            }
        }
        return Ok((url, String::from_utf8_lossy(&page).into_owned()));
    }
    Err("too many redirects".into())
}

/// Fetch the pages of cards waiting for them; how many were dealt with.
pub async fn fetch_pending(
    db: &Db,
    config: &Config,
    client: &reqwest::Client,
) -> Result<usize, Error> {
    // A page that could not be had waits a few minutes before it is tried again.
    let tried_before = crate::time::now() - chrono::Duration::minutes(5);
    let waiting = db
        .run(move |conn| cards::pending(conn, tried_before, 10))
        .await?;
    for mut card in waiting.iter().cloned() {
        card.attempts += 1;
        match fetch_page(config, client, &card.url).await {
            Ok((url, page)) => match describe(&page, &url) {
                Some((title, description, image, site)) => {
                    card.state = CardState::Ready;
                    (card.title, card.description) = (title, description);
                    (card.image_url, card.provider_name) = (image, site);
                }
                None => card.state = CardState::Failed,
            },
            Err(why) => {
                tracing::debug!("link preview of {}: {why}", card.url);
                if card.attempts >= MAX_ATTEMPTS {
                    card.state = CardState::Failed;
                }
            }
        }
        card.fetched_at = Some(crate::time::now());
        db.run(move |conn| cards::save(conn, &card)).await?;
    }
    Ok(waiting.len())
}

/// Fetch link previews as posts come, until the task is aborted.
pub async fn run_worker(config: std::sync::Arc<Config>, db: Db, client: reqwest::Client) {
    loop {
        if let Err(e) = fetch_pending(&db, &config, &client).await {
            tracing::warn!("link previews: {e}");
        }
        tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_link_that_is_not_a_mention_or_tag() {
        let html = r#"<p><span class="h-card"><a href="https://a.example/@x" class="u-url mention">@x</a></span>
            <a href="https://a.example/tags/go" class="mention hashtag" rel="tag">#go</a>
            <a href="https://docs.example/runbook?a=1&amp;b=2" rel="nofollow noopener">the runbook</a>
            <a href="https://later.example/">later</a></p>"#;
        assert_eq!(
            first_link(html).as_deref(),
            Some("https://docs.example/runbook?a=1&b=2")
        );
        assert_eq!(first_link(r#"<a href="javascript:alert(1)">x</a>"#), None);
    }

    #[test]
    fn pages_describe_themselves() {
        let page = r#"<html><head><title>Fallback</title>
            <meta property="og:title" content="Runbooks &amp; rotas">
            <meta name="description" content="How the &lt;b&gt;team&lt;/b&gt; works">
            <meta property="og:image" content="/img/cover.png">
            <meta property="og:site_name" content="Docs"></head></html>"#;
        let url = Url::parse("https://docs.example/runbook").unwrap();
        let (title, description, image, site) = describe(page, &url).unwrap();
        assert_eq!(title, "Runbooks & rotas");
        assert_eq!(description, "How the team works");
        assert_eq!(image.as_deref(), Some("https://docs.example/img/cover.png"));
        assert_eq!(site, "Docs");
        let bare = describe("<title> Just a title &#38; &#x2014; more</title>", &url).unwrap();
        assert_eq!(
            (bare.0.as_str(), bare.3.as_str()),
            ("Just a title & — more", "docs.example")
        );
        assert!(describe("<p>no title</p>", &url).is_none());
    }
}
