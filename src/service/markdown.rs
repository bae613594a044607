//! Markdown documents of posts, bookmarks and threads, and the zip archives they are
//! downloaded in: a person's own posts and bookmarks to keep, a community's threads for an
//! archive or a wiki. Each document starts with front matter (`key: value` lines between
//! `---`, the values written as JSON, which YAML reads too), so that tools and Guild's own
//! import can read it back.

use crate::error::Error;
use crate::store::statuses::Status;
use serde_json::Value;
use std::io::Write;

/// A post's text as Markdown: what its author wrote here (already Markdown), else the text of
/// the HTML another server sent.
pub fn text_of(status: &Status) -> String {
    match status.source.is_empty() {
        false => status.source.clone(),
        true => super::text::plain(&status.content),
    }
}

fn front_matter(fields: &[(&str, Value)]) -> String {
    let mut out = String::from("---\n");
    for (key, value) in fields {
        if !value.is_null() {
            out.push_str(&format!("{key}: {value}\n"));
        }
    }
    out.push_str("---\n");
    out
}

/// Text as a Markdown block quote.
fn quoted(text: &str) -> String {
    text.lines()
        .map(|line| match line.is_empty() {
            true => ">".to_string(),
            false => format!("> {line}"),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A name for a file made of a post: its date and id, and a few words of its title.
pub fn file_name(status: &Status) -> String {
    let mut slug = String::new();
    for c in status.title.as_deref().unwrap_or_default().chars() {
        match c {
            c if c.is_alphanumeric() => slug.extend(c.to_lowercase()),
            _ if !slug.ends_with('-') => slug.push('-'),
            _ => {}
        }
        if slug.chars().count() >= 48 {
            break;
        }
    }
    let slug = slug.trim_matches('-');
    let date = crate::time::day(status.created_at);
    match slug.is_empty() {
        true => format!("{date}-{}.md", status.id),
        false => format!("{date}-{}-{slug}.md", status.id),
    }
}

/// Who wrote a post and where: its author's handle and, for a community post, the community's.
pub struct Byline {
    pub author: String,
    pub community: Option<String>,
}

/// One of a person's own posts as a Markdown document.
pub fn post(status: &Status, byline: &Byline, in_reply_to: Option<&str>) -> String {
    let mut doc = front_matter(&[
        (
            "url",
            Value::from(status.url.clone().unwrap_or(status.ap_id.clone())),
        ),
        ("author", Value::from(byline.author.clone())),
        (
            "published",
            Value::from(crate::time::rfc3339(status.created_at)),
        ),
        ("visibility", Value::from(status.visibility.as_str())),
        (
            "title",
            status.title.clone().map(Value::from).unwrap_or_default(),
        ),
        (
            "community",
            byline
                .community
                .clone()
                .map(Value::from)
                .unwrap_or_default(),
        ),
        (
            "in_reply_to",
            in_reply_to.map(Value::from).unwrap_or_default(),
        ),
    ]);
    if let Some(title) = &status.title {
        doc.push_str(&format!("\n# {title}\n"));
    }
    if !status.spoiler_text.is_empty() {
        doc.push_str(&format!("\n**{}**\n", status.spoiler_text));
    }
    doc.push_str(&format!("\n{}\n", text_of(status)));
    doc
}

/// A bookmark as one section of `bookmarks.md`, and as read back from it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BookmarkEntry {
    pub url: String,
    pub note: String,
    pub tags: Vec<String>,
}

/// The heading of a bookmark's section ends with its post's URL in `<…>`.
const SECTION: &str = "## ";
/// The line before the bookmarked post's text, which is quoted after the note.
const POST_MARK: &str = "<!-- the post -->";

/// `bookmarks.md`: each bookmark under a heading naming the post and its URL, then its tags,
/// the note and the post's text as it read when exported. `posts` holds, for each entry, the
/// post's author and text.
pub fn bookmarks(entries: &[(BookmarkEntry, String, String)]) -> String {
    let mut doc = String::from(
        "# Bookmarks\n\nEach bookmark: the post's author and address, the tags, your note, \
         and the post as it read when exported. Guild imports this file back.\n",
    );
    for (entry, author, text) in entries {
        doc.push_str(&format!("\n{SECTION}{author} <{}>\n\n", entry.url));
        if !entry.tags.is_empty() {
            let tags: Vec<String> = entry.tags.iter().map(|t| format!("#{t}")).collect();
            doc.push_str(&format!("Tags: {}\n\n", tags.join(" ")));
        }
        // A note's own lines that would read as a heading or the post mark are escaped.
        for line in entry.note.lines() {
            let special = [SECTION, "Tags: ", "\\"]
                .iter()
                .any(|s| line.starts_with(s));
            if special || line == POST_MARK {
                doc.push('\\');
            }
            doc.push_str(line);
            doc.push('\n');
        }
        doc.push_str(&format!("\n{POST_MARK}\n{}\n", quoted(text)));
    }
    doc
}

/// The bookmarks of a `bookmarks.md` that [`bookmarks`] wrote.
pub fn read_bookmarks(doc: &str) -> Vec<BookmarkEntry> {
    let mut entries: Vec<BookmarkEntry> = Vec::new();
    let mut in_post = false;
    for line in doc.lines() {
        if let Some(heading) = line.strip_prefix(SECTION) {
            let url = heading
                .rsplit_once('<')
                .and_then(|(_, rest)| rest.strip_suffix('>'))
                .unwrap_or_default();
            entries.push(BookmarkEntry {
                url: url.to_string(),
                note: String::new(),
                tags: Vec::new(),
            });
            in_post = false;
            continue;
        }
        let Some(entry) = entries.last_mut() else {
            continue;
        };
        if line == POST_MARK {
            in_post = true;
        } else if in_post {
            continue;
        } else if let Some(tags) = line.strip_prefix("Tags: ") {
            entry.tags = tags
                .split_whitespace()
                .map(|t| t.trim_start_matches('#').to_string())
                .collect();
        } else {
            entry.note.push_str(line.strip_prefix('\\').unwrap_or(line));
            entry.note.push('\n');
        }
    }
    for entry in &mut entries {
        entry.note = entry.note.trim().to_string();
    }
    entries.retain(|e| !e.url.is_empty());
    entries
}

/// A community thread as one Markdown document: the thread, then each reply (in reading
/// order, indented by depth) with its author and time. `posts` pairs each post with its
/// author's handle and depth; the root comes first.
pub fn thread(community: &str, posts: &[(Status, String, usize)]) -> String {
    let Some((root, author, _)) = posts.first() else {
        return String::new();
    };
    let mut doc = front_matter(&[
        (
            "url",
            Value::from(root.url.clone().unwrap_or(root.ap_id.clone())),
        ),
        (
            "title",
            root.title.clone().map(Value::from).unwrap_or_default(),
        ),
        ("author", Value::from(author.clone())),
        (
            "published",
            Value::from(crate::time::rfc3339(root.created_at)),
        ),
        ("community", Value::from(community)),
        ("replies", Value::from(posts.len() - 1)),
    ]);
    let title = root.title.clone().unwrap_or_else(|| "Untitled".into());
    doc.push_str(&format!("\n# {title}\n\n*{author}, {}*\n\n", day(root)));
    doc.push_str(&text_of(root));
    doc.push('\n');
    if posts.len() > 1 {
        doc.push_str("\n## Replies\n");
    }
    for (reply, author, depth) in &posts[1..] {
        let indent = "  ".repeat(depth.saturating_sub(1));
        doc.push_str(&format!("\n{indent}- *{author}, {}*\n\n", day(reply)));
        for line in text_of(reply).lines() {
            doc.push_str(&format!("{indent}  {line}\n"));
        }
    }
    doc
}

fn day(status: &Status) -> String {
    status.created_at.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// A zip archive of `files` (path, text), compressed.
pub fn zip(files: &[(String, String)]) -> Result<Vec<u8>, Error> {
    let failed = |e: zip::result::ZipError| Error::caused_by("cannot write the archive", e);
    let mut archive = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (path, text) in files {
        archive.start_file(path.as_str(), options).map_err(failed)?;
        archive
            .write_all(text.as_bytes())
            .map_err(|e| Error::caused_by("cannot write the archive", e))?;
    }
    Ok(archive.finish().map_err(failed)?.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bookmarks_read_back_as_written_even_with_awkward_notes() {
        let entries = vec![
            BookmarkEntry {
                url: "https://a.example/statuses/1".into(),
                note: "Read before the retro.\n\n## not a heading\nTags: not tags\n\\o/".into(),
                tags: vec!["retro".into(), "ci".into()],
            },
            BookmarkEntry {
                url: "https://b.example/@x/2".into(),
                note: String::new(),
                tags: Vec::new(),
            },
        ];
        let written: Vec<(BookmarkEntry, String, String)> = entries
            .iter()
            .map(|e| {
                (
                    e.clone(),
                    "@x@b.example".into(),
                    "## a post\n\nwith lines".into(),
                )
            })
            .collect();
        let doc = bookmarks(&written);
        assert_eq!(read_bookmarks(&doc), entries);
    }

    #[test]
    fn file_names_are_dated_and_readable() {
        let mut status = Status::new(
            7,
            1,
            "https://x/7".into(),
            crate::domain::Visibility::Public,
        );
        status.title = Some("Which linter, and why?".into());
        assert!(file_name(&status).ends_with("-7-which-linter-and-why.md"));
    }
}
