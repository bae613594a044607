//! Bringing a person's accounts and bookmarks from another server: the CSV files Mastodon
//! writes (and `service::export`): whom they follow, block and mute, their lists, and what
//! they bookmarked; and the `bookmarks.md` of Guild's archive, with notes and tags. Each line names an account (`name@domain`) or a post (its URL); the web
//! page looks each up (on its server if need be) and applies it here.

use crate::config::Config;
use crate::db::DbConn;
use crate::error::Error;
use crate::store::{accounts::Account, statuses::Status};

/// Lines taken from one import: each may need a lookup on another server.
pub const MAX_LINES: usize = 500;

/// What a file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Following,
    Blocks,
    Mutes,
    /// Lines of a list's name and an account in it.
    Lists,
    Bookmarks,
    /// Guild's `bookmarks.md`: bookmarks with their notes and tags.
    BookmarkNotes,
}

impl Kind {
    /// By the name of the file it comes in.
    pub fn parse(name: &str) -> Result<Kind, Error> {
        match name {
            "following_accounts.csv" => Ok(Kind::Following),
            "blocked_accounts.csv" => Ok(Kind::Blocks),
            "muted_accounts.csv" => Ok(Kind::Mutes),
            "lists.csv" => Ok(Kind::Lists),
            "bookmarks.csv" => Ok(Kind::Bookmarks),
            "bookmarks.md" => Ok(Kind::BookmarkNotes),
            other => Err(Error::Unprocessable(format!(
                "{other:?} cannot be imported; choose following_accounts.csv, \
                 blocked_accounts.csv, muted_accounts.csv, lists.csv, bookmarks.csv or \
                 bookmarks.md"
            ))),
        }
    }
}

/// One line: an account handle or a post URL, the file's flag for it (for mutes: whether
/// notifications are hidden too), and for lists the list's name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    pub target: String,
    pub flag: bool,
    pub list: Option<String>,
    /// A bookmark's note and tags (`bookmarks.md` only).
    pub note: String,
    pub tags: Vec<String>,
}

impl Line {
    fn new(target: String) -> Line {
        Line {
            target,
            flag: false,
            list: None,
            note: String::new(),
            tags: Vec::new(),
        }
    }
}

/// The lines of a file of `kind`, its header skipped; more than [`MAX_LINES`] is refused.
pub fn lines(kind: Kind, text: &str) -> Result<Vec<Line>, Error> {
    let lines: Vec<Line> = match kind {
        Kind::BookmarkNotes => super::markdown::read_bookmarks(text)
            .into_iter()
            .map(|entry| Line {
                note: entry.note,
                tags: entry.tags,
                ..Line::new(entry.url)
            })
            .collect(),
        _ => text.lines().map(|line| csv_line(kind, line)).collect(),
    };
    let lines: Vec<Line> = lines
        .into_iter()
        .filter(|l| !l.target.is_empty() && l.target != "Account address")
        .collect();
    if lines.len() > MAX_LINES {
        return Err(Error::Unprocessable(format!(
            "a file of {} lines is too long to import at once; split it into files of at \
             most {MAX_LINES}",
            lines.len()
        )));
    }
    Ok(lines)
}

fn csv_line(kind: Kind, line: &str) -> Line {
    let mut fields = fields(line).into_iter();
    let first = fields.next().unwrap_or_default();
    let second = fields.next().unwrap_or_default();
    match kind {
        // Mastodon's lists.csv: the list's name, then the account.
        Kind::Lists => Line {
            list: Some(first).filter(|l| !l.is_empty()),
            ..Line::new(second)
        },
        _ => Line {
            flag: second == "true",
            ..Line::new(first)
        },
    }
}

/// The fields of a CSV line: commas separate them except inside quotes, where `""` is a
/// quote (list names may hold both).
fn fields(line: &str) -> Vec<String> {
    let (mut fields, mut field, mut quoted) = (Vec::new(), String::new(), false);
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => fields.push(std::mem::take(&mut field)),
            c => field.push(c),
        }
    }
    fields.push(field);
    fields.into_iter().map(|f| f.trim().to_string()).collect()
}

/// Follow, block, mute or list `target` as the `line` says.
pub fn apply_to_account(
    conn: &mut DbConn,
    config: &Config,
    me: &Account,
    (kind, line): (Kind, &Line),
    target: &Account,
) -> Result<(), Error> {
    match kind {
        Kind::Following => follow_once(conn, config, me, target),
        Kind::Blocks => super::blocks::block(conn, config, me, target),
        Kind::Mutes => super::blocks::mute(conn, me, target, line.flag),
        Kind::Lists => {
            let name = line.list.as_deref().ok_or_else(|| {
                Error::Unprocessable("a line of lists.csv names the list first".into())
            })?;
            add_to_list(conn, config, me, name, target)
        }
        Kind::Bookmarks | Kind::BookmarkNotes => {
            Err(Error::Unprocessable("bookmarks name posts".into()))
        }
    }
}

fn follow_once(
    conn: &mut DbConn,
    config: &Config,
    me: &Account,
    target: &Account,
) -> Result<(), Error> {
    if crate::store::follows::between(conn, me.id, target.id)?.is_none() {
        super::follows::follow(conn, config, me, target)?;
    }
    Ok(())
}

/// Put `target` in the person's list called `name`, made if they have none. A list holds
/// people one follows, so the account is followed too; it goes in at once, without waiting
/// for another server to accept the follow, as the list was the person's elsewhere.
fn add_to_list(
    conn: &mut DbConn,
    config: &Config,
    me: &Account,
    name: &str,
    target: &Account,
) -> Result<(), Error> {
    follow_once(conn, config, me, target)?;
    let existing = crate::store::lists::of_account(conn, me.id)?
        .into_iter()
        .find(|l| l.title == name);
    let list = match existing {
        Some(list) => list,
        None => {
            let change = super::lists::ListChange {
                title: Some(name.to_string()),
                ..Default::default()
            };
            super::lists::create(conn, me.id, change)?
        }
    };
    crate::store::lists::add_members(conn, list.id, &[target.id])
}

/// Bookmark `status`, if the person may see it, with the line's note and tags if it has any.
pub fn bookmark(
    conn: &mut DbConn,
    me: &Account,
    status: &Status,
    line: &Line,
) -> Result<(), Error> {
    let annotation = super::bookmarks::Annotation {
        note: Some(line.note.clone()).filter(|n| !n.is_empty()),
        tags: Some(line.tags.clone()).filter(|t| !t.is_empty()),
    };
    super::bookmarks::annotate(conn, me, status, annotation).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::{lines, Kind, Line};

    #[test]
    fn lines_skip_headers_and_blanks_and_read_flags() {
        let text =
            "Account address,Hide notifications\nerin@a.example,true\n\n\"bob@b.example\",false\n";
        assert_eq!(
            lines(Kind::Mutes, text).unwrap(),
            vec![
                Line {
                    flag: true,
                    ..Line::new("erin@a.example".into())
                },
                Line::new("bob@b.example".into()),
            ]
        );
        assert!(lines(Kind::Following, &"x@y.example\n".repeat(501)).is_err());
        assert_eq!(
            lines(Kind::Lists, "\"Build, \"\"team\"\"\",erin@a.example\n").unwrap()[0],
            Line {
                list: Some("Build, \"team\"".into()),
                ..Line::new("erin@a.example".into())
            }
        );
        let notes =
            "# Bookmarks\n\n## @x@b.example <https://b.example/1>\n\nTags: #ci\n\nSee this.\n";
        assert_eq!(
            lines(Kind::BookmarkNotes, notes).unwrap(),
            vec![Line {
                note: "See this.".into(),
                tags: vec!["ci".into()],
                ..Line::new("https://b.example/1".into())
            }]
        );
    }
}
