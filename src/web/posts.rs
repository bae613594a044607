//! Posts as pages show them, loaded for a whole list at once.

use crate::config::Config;
use crate::db::DbConn;
use crate::error::Error;
use crate::store::{
    accounts,
    statuses::{self, Status},
};
use std::collections::HashMap;

/// Replies deeper than this are drawn at this depth, so a long exchange stays readable on a
/// phone.
const DEEPEST: usize = 6;

pub struct PagePost {
    pub id: i64,
    pub author_name: String,
    pub author_acct: String,
    pub author_href: String,
    /// RFC 3339, for `<time datetime>`.
    pub published: String,
    /// As people read it: date and time to the minute, in UTC.
    pub published_text: String,
    pub title: Option<String>,
    pub spoiler_text: String,
    /// Sanitised when stored.
    pub content: String,
    pub replies: i32,
    pub favourites: i32,
    pub depth: usize,
    /// The reader wrote it, and may delete it.
    pub mine: bool,
    /// The reader moderates its community, and may remove it.
    pub removable: bool,
    /// Shown because this person boosted it.
    pub boosted_by: Option<String>,
    pub attachments: Vec<PageAttachment>,
    /// The reader favourited it, boosted it, may boost it (public and unlisted posts).
    pub favourited: bool,
    pub boosted: bool,
    pub boostable: bool,
    /// The reader keeps it among their bookmarks.
    pub bookmarked: bool,
    /// The accepted answer to its thread's question.
    pub accepted: bool,
    /// What the reader may do about it as an answer: "accept" or "unaccept" (thread pages of
    /// questions, for the asker and moderators).
    pub answer_verb: Option<&'static str>,
}

/// An attachment as a page shows it: images inline with their alt text, other files as links.
pub struct PageAttachment {
    pub url: String,
    pub preview_url: Option<String>,
    pub description: String,
}

/// The attachments of `ids`, by post, from one query.
fn attachments_of(
    conn: &mut DbConn,
    ids: &[i64],
) -> Result<HashMap<i64, Vec<PageAttachment>>, Error> {
    let mut by_post: HashMap<i64, Vec<PageAttachment>> = HashMap::new();
    for a in crate::store::media::of_statuses(conn, ids)? {
        // Pages link files kept here by path.
        let (Some(status_id), Some(url)) = (a.status_id, a.url("")) else {
            continue;
        };
        let is_image = a.kind == crate::domain::MediaKind::Image;
        by_post.entry(status_id).or_default().push(PageAttachment {
            preview_url: is_image.then(|| a.preview_url("")).flatten(),
            url,
            description: a.description.unwrap_or_default(),
        });
    }
    Ok(by_post)
}

/// Where a browser sees an account here: the pages of local people and communities, and a
/// page for each account from another server.
pub fn account_href(account: &accounts::Profile) -> String {
    match (&account.domain, account.is_group()) {
        (None, true) => format!("/c/{}", account.username),
        (None, false) => format!("/users/{}", account.username),
        (Some(_), _) => format!("/accounts/{}", account.id),
    }
}

pub fn acct(config: &Config, account: &accounts::Profile) -> String {
    let domain = account.domain.as_deref().unwrap_or(&config.domain);
    format!("{}@{domain}", account.username)
}

/// `rows` with their depths as `reader` sees them; `moderates` is whether the reader
/// moderates the community they are in. Authors are read in one query.
pub fn page_posts(
    conn: &mut DbConn,
    config: &Config,
    reader: Option<&accounts::Account>,
    moderates: bool,
    rows: Vec<(Status, usize)>,
) -> Result<Vec<PagePost>, Error> {
    // A boost shows the post it boosts, if that is still there.
    let boosted_ids: Vec<i64> = rows.iter().filter_map(|(s, _)| s.reblog_of_id).collect();
    let originals: HashMap<i64, Status> = statuses::by_ids(conn, &boosted_ids)?
        .into_iter()
        .filter(|s| s.deleted_at.is_none() && s.removed_at.is_none())
        .map(|s| (s.id, s))
        .collect();
    let rows: Vec<(Status, usize, Option<i64>)> = rows
        .into_iter()
        .filter_map(|(status, depth)| match status.reblog_of_id {
            Some(id) => Some((originals.get(&id)?.clone(), depth, Some(status.account_id))),
            None => Some((status, depth, None)),
        })
        .collect();
    let mut author_ids: Vec<i64> = rows.iter().map(|(s, _, _)| s.account_id).collect();
    author_ids.extend(rows.iter().filter_map(|(_, _, booster)| *booster));
    let authors: HashMap<i64, accounts::Profile> = accounts::profiles_by_ids(conn, &author_ids)?
        .into_iter()
        .map(|a| (a.id, a))
        .collect();
    let reader_id = reader.map(|r| r.id);
    let ids: Vec<i64> = rows.iter().map(|(s, _, _)| s.id).collect();
    let (favourited, boosted, bookmarked) = match reader {
        Some(r) => (
            crate::store::favourites::favourited_among(conn, r.id, &ids)?,
            crate::store::boosts::reblogged_among(conn, r.id, &ids)?,
            crate::store::bookmarks::among(conn, r.id, &ids)?,
        ),
        None => Default::default(),
    };
    let mut attachments = attachments_of(conn, &ids)?;
    let posts = rows
        .into_iter()
        .filter_map(|(status, depth, booster)| {
            let author = authors.get(&status.account_id)?;
            let boosted_by = booster
                .and_then(|id| authors.get(&id))
                .map(|b| acct(config, b));
            Some(PagePost {
                id: status.id,
                author_name: match author.display_name.is_empty() {
                    true => author.username.clone(),
                    false => author.display_name.clone(),
                },
                author_acct: acct(config, author),
                author_href: account_href(author),
                published: crate::time::rfc3339(status.created_at),
                published_text: status.created_at.format("%Y-%m-%d %H:%M UTC").to_string(),
                title: status.title,
                spoiler_text: status.spoiler_text,
                content: status.content,
                replies: status.replies_count,
                favourites: status.favourites_count,
                depth: depth.min(DEEPEST),
                mine: reader_id == Some(status.account_id),
                removable: moderates && status.community_id.is_some(),
                boosted_by,
                favourited: favourited.contains(&status.id),
                boosted: boosted.contains(&status.id),
                boostable: status.visibility.is_open(),
                bookmarked: bookmarked.contains(&status.id),
                attachments: attachments.remove(&status.id).unwrap_or_default(),
                accepted: false,
                answer_verb: None,
            })
        })
        .collect();
    Ok(posts)
}
