//! Bringing a person's accounts and bookmarks from another server: the CSV files Mastodon
//! writes (and `service::export`): whom they follow, block and mute, and what they
//! bookmarked. Each line names an account (`name@domain`) or a post (its URL); the web page
//! looks each up (on its server if need be) and applies it here.

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
    Bookmarks,
}

impl Kind {
    /// By the name of the file it comes in.
    pub fn parse(name: &str) -> Result<Kind, Error> {
        match name {
            "following_accounts.csv" => Ok(Kind::Following),
            "blocked_accounts.csv" => Ok(Kind::Blocks),
            "muted_accounts.csv" => Ok(Kind::Mutes),
            "bookmarks.csv" => Ok(Kind::Bookmarks),
            other => Err(Error::Unprocessable(format!(
                "{other:?} cannot be imported; choose following_accounts.csv, \
                 blocked_accounts.csv, muted_accounts.csv or bookmarks.csv"
            ))),
        }
    }
}

/// One line: an account handle or a post URL, and the file's flag for it (for mutes:
/// whether notifications are hidden too).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    pub target: String,
    pub flag: bool,
}

/// The lines of a file, its header skipped; more than [`MAX_LINES`] is refused.
pub fn lines(text: &str) -> Result<Vec<Line>, Error> {
    let lines: Vec<Line> = text
        .lines()
        .map(|line| {
            let mut fields = line
                .split(',')
                .map(|f| f.trim().trim_matches('"').to_string());
            let target = fields.next().unwrap_or_default();
            let flag = fields.next().is_some_and(|f| f == "true");
            Line { target, flag }
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

/// Follow, block or mute `target` as the file says.
pub fn apply_to_account(
    conn: &mut DbConn,
    config: &Config,
    me: &Account,
    kind: Kind,
    target: &Account,
    flag: bool,
) -> Result<(), Error> {
    match kind {
        Kind::Following => {
            if crate::store::follows::between(conn, me.id, target.id)?.is_none() {
                super::follows::follow(conn, config, me, target)?;
            }
            Ok(())
        }
        Kind::Blocks => super::blocks::block(conn, config, me, target),
        Kind::Mutes => super::blocks::mute(conn, me, target, flag),
        Kind::Bookmarks => Err(Error::Unprocessable("bookmarks name posts".into())),
    }
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
    use super::{lines, Line};

    #[test]
    fn lines_skip_headers_and_blanks_and_read_flags() {
        let text =
            "Account address,Hide notifications\nerin@a.example,true\n\n\"bob@b.example\",false\n";
        assert_eq!(
            lines(text).unwrap(),
            vec![
                Line {
                    target: "erin@a.example".into(),
                    flag: true
                },
                Line {
                    target: "bob@b.example".into(),
                    flag: false
                },
            ]
        );
        assert!(lines(&"x@y.example\n".repeat(501)).is_err());
    }
}
