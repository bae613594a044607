//! Atom feeds of public posts (`/feeds/users/NAME.atom`, `/feeds/c/NAME.atom`,
//! `/feeds/tags/TAG.atom`), so people follow a person, a community or a topic from their feed
//! reader, chat tool or intranet. Which posts is `service::feeds`'s business.

use super::PageError;
use crate::config::Config;
use crate::service::feeds::{self, Entries};
use crate::service::text;
use crate::state::Ctx;
use crate::store::accounts::Account;
use actix_web::{http::header, web::Path, HttpResponse};
use askama::Template;

#[derive(Template)]
#[template(path = "feed.xml", config = "src/web/askama.toml")]
struct Feed {
    self_url: String,
    page_url: String,
    title: String,
    subtitle: String,
    updated: String,
    entries: Vec<Entry>,
}

struct Entry {
    id: String,
    url: String,
    title: String,
    published: String,
    updated: String,
    author_name: String,
    author_uri: String,
    content: String,
    enclosures: Vec<Enclosure>,
}

/// An attachment, as feed readers and podcast players fetch it.
struct Enclosure {
    url: String,
    content_type: String,
    /// Bytes; Atom asks for it, and 0 where the size is not known (files linked elsewhere).
    length: i64,
    description: String,
}

/// The attachments of `post` as enclosures, and as HTML after its text for readers that show
/// only the content: images inline with their description, other files as links.
fn enclosures(
    base: &str,
    post: i64,
    attachments: &[crate::store::media::Attachment],
) -> (Vec<Enclosure>, String) {
    let mut html = String::new();
    let list = attachments
        .iter()
        .filter(|a| a.status_id == Some(post))
        .filter_map(|a| {
            let url = a.url(base)?;
            let description = a.description.clone().unwrap_or_default();
            let (url_text, alt) = (text::escape_html(&url), text::escape_html(&description));
            html.push_str(&match a.kind {
                crate::domain::MediaKind::Image => {
                    format!("<p><img src=\"{url_text}\" alt=\"{alt}\"></p>")
                }
                _ => format!(
                    "<p><a href=\"{url_text}\">{}</a></p>",
                    match alt.is_empty() {
                        true => "Attachment".to_string(),
                        false => alt.clone(),
                    }
                ),
            });
            Some(Enclosure {
                url,
                content_type: a.content_type.clone(),
                length: a.file_size.unwrap_or(0),
                description,
            })
        })
        .collect();
    (list, html)
}

/// Atom's dates: RFC 3339 in UTC.
fn date(at: chrono::NaiveDateTime) -> String {
    at.and_utc()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// A thread's title, a warning, or the start of the text: what a feed reader lists.
fn entry_title(title: Option<&str>, spoiler: &str, content: &str) -> String {
    if let Some(title) = title.filter(|t| !t.is_empty()) {
        return title.to_string();
    }
    if !spoiler.is_empty() {
        return format!("Content warning: {spoiler}");
    }
    let words = text::plain(content)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    match words.char_indices().nth(80) {
        Some((cut, _)) => format!("{}…", &words[..cut]),
        None => words,
    }
}

fn render(
    config: &Config,
    (self_path, page_path): (&str, &str),
    title: String,
    subtitle: String,
    entries: Entries,
) -> Result<HttpResponse, PageError> {
    let base = config.base_url();
    let name_of = |id: i64| entries.authors.iter().find(|a| a.id == id);
    let updated = entries
        .posts
        .iter()
        .map(|s| s.edited_at.unwrap_or(s.created_at))
        .max()
        .map(date)
        .unwrap_or_else(|| date(crate::time::now()));
    let items = entries
        .posts
        .iter()
        .filter_map(|s| {
            let author: &Account = name_of(s.account_id)?;
            let (enclosures, media_html) = enclosures(&base, s.id, &entries.attachments);
            let content = match s.spoiler_text.is_empty() {
                true => format!("{}{media_html}", s.content),
                false => format!(
                    "<p><strong>{}</strong></p>{}{media_html}",
                    text::escape_html(&s.spoiler_text),
                    s.content
                ),
            };
            Some(Entry {
                id: s.ap_id.clone(),
                url: format!("{base}/statuses/{}", s.id),
                title: entry_title(s.title.as_deref(), &s.spoiler_text, &s.content),
                published: date(s.created_at),
                updated: date(s.edited_at.unwrap_or(s.created_at)),
                author_name: match author.display_name.is_empty() {
                    true => super::posts::acct(config, author),
                    false => format!(
                        "{} (@{})",
                        author.display_name,
                        super::posts::acct(config, author)
                    ),
                },
                author_uri: author.url.clone().unwrap_or_else(|| author.ap_id.clone()),
                content,
                enclosures,
            })
        })
        .collect();
    let feed = Feed {
        self_url: format!("{base}{self_path}"),
        page_url: format!("{base}{page_path}"),
        title,
        subtitle,
        updated,
        entries: items,
    };
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "application/atom+xml; charset=utf-8"))
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .body(
            feed.render()
                .map_err(|e| crate::error::Error::caused_by("template", e))?,
        ))
}

/// `GET /feeds/users/{name}.atom`
pub async fn person(ctx: Ctx, name: Path<String>) -> Result<HttpResponse, PageError> {
    let name = name.into_inner();
    let wanted = name.clone();
    let (person, entries) = ctx.db.run(move |conn| feeds::person(conn, &wanted)).await?;
    let handle = super::posts::acct(&ctx.config, &person);
    let title = match person.display_name.is_empty() {
        true => format!("@{handle}"),
        false => format!("{} (@{handle})", person.display_name),
    };
    let paths = (
        format!("/feeds/users/{name}.atom"),
        format!("/users/{name}"),
    );
    render(
        &ctx.config,
        (&paths.0, &paths.1),
        title,
        format!("Public posts by @{handle}"),
        entries,
    )
}

/// `GET /feeds/c/{name}.atom`
pub async fn community(ctx: Ctx, name: Path<String>) -> Result<HttpResponse, PageError> {
    let name = name.into_inner();
    let wanted = name.clone();
    let (community, entries) = ctx
        .db
        .run(move |conn| feeds::community(conn, &wanted))
        .await?;
    let title = match community.display_name.is_empty() {
        true => community.username.clone(),
        false => community.display_name.clone(),
    };
    let paths = (format!("/feeds/c/{name}.atom"), format!("/c/{name}"));
    let subtitle = format!("Public posts in {title} on {}", ctx.config.instance_name);
    render(&ctx.config, (&paths.0, &paths.1), title, subtitle, entries)
}

/// `GET /feeds/tags/{tag}.atom`
pub async fn tag(ctx: Ctx, tag: Path<String>) -> Result<HttpResponse, PageError> {
    let tag = tag.into_inner().trim_start_matches('#').to_lowercase();
    let wanted = tag.clone();
    let entries = ctx.db.run(move |conn| feeds::tag(conn, &wanted)).await?;
    let paths = (
        format!("/feeds/tags/{tag}.atom"),
        format!("/search?q=%23{tag}"),
    );
    let subtitle = format!(
        "Public posts tagged #{tag} seen on {}",
        ctx.config.instance_name
    );
    render(
        &ctx.config,
        (&paths.0, &paths.1),
        format!("#{tag}"),
        subtitle,
        entries,
    )
}
