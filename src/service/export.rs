//! A person's data to take to another server: whom they follow, block and mute, their lists
//! and bookmarks as the CSV files Mastodon exports and imports, and their own posts as an
//! ActivityPub outbox holding each post whole (`Create`, or `Announce` for boosts).

use super::markdown;
use crate::config::Config;
use crate::db::DbConn;
use crate::error::Error;
use crate::store::{
    accounts::{self as account_store, Account},
    blocks, bookmarks, follows, lists, statuses,
};
use serde_json::{json, Value};
use std::collections::HashMap;

/// The files a person can download, by the names Mastodon gives them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum File {
    Following,
    Blocks,
    Mutes,
    Lists,
    Bookmarks,
    Outbox,
    /// Own posts and bookmarks (with notes and tags) as Markdown files in a zip archive.
    Archive,
}

impl File {
    pub const ALL: [File; 7] = [
        File::Following,
        File::Blocks,
        File::Mutes,
        File::Lists,
        File::Bookmarks,
        File::Outbox,
        File::Archive,
    ];

    pub fn name(self) -> &'static str {
        match self {
            File::Following => "following_accounts.csv",
            File::Blocks => "blocked_accounts.csv",
            File::Mutes => "muted_accounts.csv",
            File::Lists => "lists.csv",
            File::Bookmarks => "bookmarks.csv",
            File::Outbox => "outbox.json",
            File::Archive => "guild-archive.zip",
        }
    }

    pub fn parse(name: &str) -> Option<File> {
        File::ALL.into_iter().find(|f| f.name() == name)
    }

    pub fn media_type(self) -> &'static str {
        match self {
            File::Outbox => "application/activity+json",
            File::Archive => "application/zip",
            _ => "text/csv; charset=utf-8",
        }
    }
}

/// The file's contents for `account`.
pub fn export(
    conn: &mut DbConn,
    config: &Config,
    account: &Account,
    file: File,
) -> Result<Vec<u8>, Error> {
    let text = match file {
        File::Following => {
            let ids = follows::followed_ids(conn, account.id)?;
            let rows = handles(conn, config, &ids)?
                .into_iter()
                .map(|h| vec![h, "true".into(), "false".into(), String::new()]);
            csv(
                Some(&[
                    "Account address",
                    "Show boosts",
                    "Notify on new posts",
                    "Languages",
                ]),
                rows,
            )
        }
        File::Blocks => {
            let ids = blocks::blocked_ids(conn, account.id)?;
            csv(
                None,
                handles(conn, config, &ids)?.into_iter().map(|h| vec![h]),
            )
        }
        File::Mutes => {
            let muted = blocks::muted(conn, account.id)?;
            let ids: Vec<i64> = muted.iter().map(|(id, _)| *id).collect();
            let hide: HashMap<i64, bool> = muted.into_iter().collect();
            let rows = with_handles(conn, config, &ids)?
                .into_iter()
                .map(|(id, h)| vec![h, hide[&id].to_string()]);
            csv(Some(&["Account address", "Hide notifications"]), rows)
        }
        File::Lists => {
            let mut rows = Vec::new();
            for list in lists::of_account(conn, account.id)? {
                let members = lists::member_ids(conn, list.id)?;
                for handle in handles(conn, config, &members)? {
                    rows.push(vec![list.title.clone(), handle]);
                }
            }
            csv(None, rows.into_iter())
        }
        File::Bookmarks => {
            let ids = bookmarks::status_ids(conn, account.id)?;
            let mut found = statuses::by_ids(conn, &ids)?;
            found.retain(|s| s.deleted_at.is_none());
            let order: HashMap<i64, usize> =
                ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
            found.sort_by_key(|s| order[&s.id]);
            csv(None, found.into_iter().map(|s| vec![s.ap_id]))
        }
        File::Outbox => outbox(conn, config, account)?.to_string(),
        File::Archive => return archive(conn, config, account),
    };
    Ok(text.into_bytes())
}

/// `guild-archive.zip`: each of the person's own posts as a Markdown file under `posts/`, and
/// their bookmarks, with notes and tags, in `bookmarks.md` (which the import reads back).
fn archive(conn: &mut DbConn, config: &Config, account: &Account) -> Result<Vec<u8>, Error> {
    let own: Vec<statuses::Status> = statuses::live_of_author(conn, account.id)?
        .into_iter()
        .filter(|s| s.reblog_of_id.is_none())
        .collect();
    let parent_ids: Vec<i64> = own.iter().filter_map(|s| s.in_reply_to_id).collect();
    let parents: HashMap<i64, String> = statuses::ap_ids_of_statuses(conn, &parent_ids)?
        .into_iter()
        .collect();
    let mut account_ids: Vec<i64> = own.iter().filter_map(|s| s.community_id).collect();
    account_ids.push(account.id);
    let bookmarked = bookmarks::all_of(conn, account.id)?;
    let bookmarked = super::bookmarks::annotated(conn, bookmarked)?;
    let ids: Vec<i64> = bookmarked.iter().map(|b| b.bookmark.status_id).collect();
    let found = statuses::by_ids(conn, &ids)?
        .into_iter()
        .filter(|s| s.deleted_at.is_none())
        .collect();
    let found: HashMap<i64, statuses::Status> =
        super::visibility::filter_visible(conn, Some(account), found)?
            .into_iter()
            .map(|s| (s.id, s))
            .collect();
    account_ids.extend(found.values().map(|s| s.account_id));
    account_ids.sort_unstable();
    account_ids.dedup();
    let names: HashMap<i64, String> = with_handles(conn, config, &account_ids)?
        .into_iter()
        .map(|(id, handle)| (id, format!("@{handle}")))
        .collect();
    let name = |id: i64| names.get(&id).cloned().unwrap_or_default();
    let mut files = vec![(
        "README.md".to_string(),
        format!(
            "# {} on {}\n\n`posts/` holds each of your posts as a Markdown file; \
             `bookmarks.md` your bookmarks with your notes and tags.\n",
            name(account.id),
            config.domain
        ),
    )];
    for status in &own {
        let byline = markdown::Byline {
            author: name(account.id),
            community: status.community_id.map(name),
        };
        let parent = status.in_reply_to_id.and_then(|p| parents.get(&p));
        let doc = markdown::post(status, &byline, parent.map(String::as_str));
        files.push((format!("posts/{}", markdown::file_name(status)), doc));
    }
    let entries: Vec<_> = bookmarked
        .into_iter()
        .filter_map(|a| {
            let status = found.get(&a.bookmark.status_id)?;
            let entry = markdown::BookmarkEntry {
                url: status.url.clone().unwrap_or(status.ap_id.clone()),
                note: a.bookmark.note,
                tags: a.tags,
            };
            Some((entry, name(status.account_id), markdown::text_of(status)))
        })
        .collect();
    files.push(("bookmarks.md".to_string(), markdown::bookmarks(&entries)));
    markdown::zip(&files)
}

/// `user@domain` of each account in `ids` (this server's domain for its own people), in the
/// order of `ids`; accounts no longer kept are left out.
fn handles(conn: &mut DbConn, config: &Config, ids: &[i64]) -> Result<Vec<String>, Error> {
    Ok(with_handles(conn, config, ids)?
        .into_iter()
        .map(|(_, handle)| handle)
        .collect())
}

fn with_handles(
    conn: &mut DbConn,
    config: &Config,
    ids: &[i64],
) -> Result<Vec<(i64, String)>, Error> {
    let found: HashMap<i64, Account> = account_store::by_ids(conn, ids)?
        .into_iter()
        .filter(|a| a.deleted_at.is_none())
        .map(|a| (a.id, a))
        .collect();
    Ok(ids
        .iter()
        .filter_map(|id| found.get(id))
        .map(|a| {
            let domain = a.domain.as_deref().unwrap_or(&config.domain);
            (a.id, format!("{}@{domain}", a.username))
        })
        .collect())
}

/// Comma-separated rows, quoted where a value holds a comma, a quote or a line break.
fn csv(header: Option<&[&str]>, rows: impl Iterator<Item = Vec<String>>) -> String {
    let quote = |value: &str| match value.contains([',', '"', '\n', '\r']) {
        true => format!("\"{}\"", value.replace('"', "\"\"")),
        false => value.to_string(),
    };
    let mut out = String::new();
    if let Some(header) = header {
        out.push_str(&header.join(","));
        out.push('\n');
    }
    for row in rows {
        let fields: Vec<String> = row.iter().map(|v| quote(v)).collect();
        out.push_str(&fields.join(","));
        out.push('\n');
    }
    out
}

/// Every post of the account, newest first, each whole as other servers received it.
fn outbox(conn: &mut DbConn, config: &Config, account: &Account) -> Result<Value, Error> {
    let mut own = statuses::live_of_author(conn, account.id)?;
    own.sort_by_key(|s| std::cmp::Reverse(s.id));
    let boosted_ids: Vec<i64> = own.iter().filter_map(|s| s.reblog_of_id).collect();
    let boosted: HashMap<i64, String> = statuses::ap_ids_of_statuses(conn, &boosted_ids)?
        .into_iter()
        .collect();
    let posts: Vec<statuses::Status> = own
        .iter()
        .filter(|s| s.reblog_of_id.is_none())
        .cloned()
        .collect();
    let mut notes = super::documents::documents(conn, &posts)?;
    let mut items = Vec::with_capacity(own.len());
    for status in &own {
        let published = crate::time::rfc3339(status.created_at);
        let item = match status.reblog_of_id {
            Some(of) => {
                let Some(object) = boosted.get(&of) else {
                    continue;
                };
                crate::protocol::collection::outbox_item(
                    &status.ap_id,
                    "Announce",
                    &account.ap_id,
                    object,
                    &published,
                )
            }
            None => {
                let Some(note) = notes.remove(&status.id) else {
                    continue;
                };
                let mut create = crate::protocol::activity::wrap(
                    config,
                    status.id,
                    "Create",
                    &account.ap_id,
                    note,
                );
                create["id"] = json!(format!("{}#create", status.ap_id));
                create["published"] = json!(published);
                if let Some(map) = create.as_object_mut() {
                    map.remove("@context");
                }
                create
            }
        };
        items.push(item);
    }
    Ok(json!({
        "@context": crate::protocol::AS_CONTEXT,
        "id": format!("{}/outbox", account.ap_id),
        "type": "OrderedCollection",
        "totalItems": items.len(),
        "orderedItems": items,
    }))
}

/// A community's threads for an archive or a wiki: a zip of Markdown files, one per thread
/// with its standing replies in reading order, and a `README.md` listing them. For its
/// moderators, members-only threads included.
pub fn community_archive(
    conn: &mut DbConn,
    config: &Config,
    moderator: &Account,
    community: &Account,
) -> Result<Vec<u8>, Error> {
    super::moderation::require_moderator(conn, community, moderator)?;
    let community_name = format!("@{}@{}", community.username, config.domain);
    let mut index = format!(
        "# {}\n\nThreads of {community_name}, oldest first.\n\n",
        community.display_name
    );
    let roots = statuses::threads_in(conn, community.id)?;
    let root_ids: Vec<i64> = roots.iter().map(|r| r.id).collect();
    let mut rows = roots;
    rows.extend(statuses::standing_replies(conn, &root_ids)?);
    // As the moderator may see them: no one's direct replies, for one.
    let rows = super::visibility::filter_visible(conn, Some(moderator), rows)?;
    let mut author_ids: Vec<i64> = rows.iter().map(|s| s.account_id).collect();
    author_ids.sort_unstable();
    author_ids.dedup();
    let names: HashMap<i64, String> = with_handles(conn, config, &author_ids)?
        .into_iter()
        .collect();
    let answers: HashMap<i64, i64> = crate::store::questions::among(conn, &root_ids)?
        .into_iter()
        .filter_map(|q| Some((q.status_id, q.answer_id?)))
        .collect();
    // Each thread's rows, its root first: roots come before replies, replies by id.
    let mut threads: Vec<Vec<statuses::Status>> = Vec::new();
    let mut thread_of: HashMap<i64, usize> = HashMap::new();
    for status in rows {
        match status.thread_root_id {
            None => {
                thread_of.insert(status.id, threads.len());
                threads.push(vec![status]);
            }
            Some(root) => {
                if let Some(&at) = thread_of.get(&root) {
                    threads[at].push(status);
                }
            }
        }
    }
    let mut files = Vec::new();
    for rows in threads {
        let root = rows[0].clone();
        let rows = super::threads::tree(rows, answers.get(&root.id).copied());
        let posts: Vec<(statuses::Status, String, usize)> = rows
            .into_iter()
            .map(|(s, depth)| {
                let name = names.get(&s.account_id).cloned().unwrap_or_default();
                (s, format!("@{name}"), depth)
            })
            .collect();
        let name = markdown::file_name(&root);
        let title = root.title.clone().unwrap_or_else(|| "Untitled".into());
        index.push_str(&format!("- [{title}](threads/{name})\n"));
        files.push((
            format!("threads/{name}"),
            markdown::thread(&community_name, &posts),
        ));
    }
    files.insert(0, ("README.md".to_string(), index));
    markdown::zip(&files)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Visibility;
    use crate::service::statuses::{create, NewPost};
    use crate::testing::Fixture;
    use std::io::Read;

    fn reply(f: &Fixture, conn: &mut DbConn, author: &Account, to: &statuses::Status, text: &str) {
        reply_as(f, conn, author, to, text, Visibility::Public);
    }

    fn reply_as(
        f: &Fixture,
        conn: &mut DbConn,
        author: &Account,
        to: &statuses::Status,
        text: &str,
        visibility: Visibility,
    ) -> statuses::Status {
        let post = NewPost {
            text: text.into(),
            in_reply_to_id: Some(to.id),
            ..NewPost::new(visibility)
        };
        create(conn, &f.config, author, post).expect("reply")
    }

    /// The files of a zip archive by name.
    fn unzip(bytes: Vec<u8>) -> HashMap<String, String> {
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a zip");
        let mut files = HashMap::new();
        for i in 0..archive.len() {
            let mut file = archive.by_index(i).expect("a file");
            let mut text = String::new();
            file.read_to_string(&mut text).expect("text");
            files.insert(file.name().expect("a name").to_string(), text);
        }
        files
    }

    #[test]
    fn each_thread_of_a_community_keeps_its_own_standing_replies() {
        let f = Fixture::new();
        let conn = &mut *f.conn();
        let ann = f.person(conn, "ann");
        let bob = f.person(conn, "bob");
        let dev = f.community(conn, "dev", &ann);
        f.follow(conn, &bob, &dev);
        let first = f.post(
            conn,
            &bob,
            "How do we release?",
            Some(&dev),
            Some("Releases"),
        );
        let second = f.post(conn, &bob, "Which linter?", Some(&dev), Some("Linting"));
        reply(&f, conn, &ann, &first, "Tag it.");
        reply(&f, conn, &ann, &second, "Clippy.");
        reply(&f, conn, &bob, &first, "Then build.");
        let spam = reply_as(&f, conn, &bob, &second, "Buy now", Visibility::Public);
        statuses::set_removed(conn, spam.id, Some(crate::time::now())).unwrap();
        reply_as(&f, conn, &bob, &first, "Note to self", Visibility::Direct);

        let files = unzip(community_archive(conn, &f.config, &ann, &dev).unwrap());
        let thread = |title: &str| {
            let (_, doc) = files
                .iter()
                .find(|(name, doc)| name.starts_with("threads/") && doc.contains(title))
                .unwrap_or_else(|| panic!("a file for {title}: {:?}", files.keys()));
            doc.clone()
        };
        let releases = thread("# Releases");
        assert!(releases.contains("Tag it.") && releases.contains("Then build."));
        assert!(releases.find("Tag it.") < releases.find("Then build."));
        let linting = thread("# Linting");
        assert!(linting.contains("Clippy."), "{linting}");
        for (doc, absent) in [
            (&releases, "Clippy."),
            (&linting, "Tag it."),
            (&linting, "Buy now"),
            (&releases, "Note to self"),
        ] {
            assert!(!doc.contains(absent), "{absent} in {doc}");
        }
        let index = &files["README.md"];
        assert!(
            index.find("[Releases]") < index.find("[Linting]"),
            "{index}"
        );
    }
}
