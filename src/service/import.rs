//! Bringing a person's accounts and bookmarks from another server: the CSV files Mastodon
//! writes (and `service::export`): whom they follow, block and mute, their lists, and what
//! they bookmarked. Each line names an account (`name@domain`) or a post (its URL); the web
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
            other => Err(Error::Unprocessable(format!(
                "{other:?} cannot be imported; choose following_accounts.csv, \
                 blocked_accounts.csv, muted_accounts.csv, lists.csv or bookmarks.csv"
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
}

/// The lines of a file of `kind`, its header skipped; more than [`MAX_LINES`] is refused.
pub fn lines(kind: Kind, text: &str) -> Result<Vec<Line>, Error> {
    let lines: Vec<Line> = text
        .lines()
        .map(|line| {
            let mut fields = fields(line).into_iter();
            let first = fields.next().unwrap_or_default();
            let second = fields.next().unwrap_or_default();
            match kind {
                // Mastodon's lists.csv: the list's name, then the account.
                Kind::Lists => Line {
                    target: second,
                    flag: false,
                    list: Some(first).filter(|l| !l.is_empty()),
                },
                _ => Line {
                    target: first,
                    flag: second == "true",
                    list: None,
                },
            }
        })
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
        Kind::Bookmarks => Err(Error::Unprocessable("bookmarks name posts".into())),
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

/// Bookmark `status`, if the person may see it.
pub fn bookmark(conn: &mut DbConn, me: &Account, status: &Status) -> Result<(), Error> {
    if !super::visibility::can_see(conn, Some(me), status)? {
        return Err(Error::NotFound);
    }
    super::bookmarks::add(conn, me.id, status.id)
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
                    target: "erin@a.example".into(),
                    flag: true,
                    list: None,
                },
                Line {
                    target: "bob@b.example".into(),
                    flag: false,
                    list: None,
                },
            ]
        );
        assert!(lines(Kind::Following, &"x@y.example\n".repeat(501)).is_err());
        assert_eq!(
            lines(Kind::Lists, "\"Build, \"\"team\"\"\",erin@a.example\n").unwrap()[0],
            Line {
                target: "erin@a.example".into(),
                flag: false,
                list: Some("Build, \"team\"".into()),
            }
        );
    }
}
