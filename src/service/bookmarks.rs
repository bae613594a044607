//! Bookmarks: posts a person keeps to read again, seen by nobody else.

use crate::db::DbConn;
use crate::error::Error;
use crate::ids::next_id;
use crate::store::{
    accounts::Account,
    bookmarks::{self, Bookmark},
    statuses::{Page, Status},
};
use std::collections::HashMap;

/// Bookmark a status the person may see (the caller has checked); bookmarking twice is one.
pub fn add(conn: &mut DbConn, account_id: i64, status_id: i64) -> Result<(), Error> {
    bookmarks::add(conn, next_id(), account_id, status_id)
}

pub fn remove(conn: &mut DbConn, account_id: i64, status_id: i64) -> Result<(), Error> {
    bookmarks::remove(conn, account_id, status_id)
}

/// What a person writes on a bookmark; None leaves that part as it was.
#[derive(Clone, Debug, Default)]
pub struct Annotation {
    pub note: Option<String>,
    pub tags: Option<Vec<String>>,
}

/// A bookmark with its note and tags, as lists and exports show it.
#[derive(Clone, Debug)]
pub struct Annotated {
    pub bookmark: Bookmark,
    pub tags: Vec<String>,
}

const MAX_NOTE: usize = 10_000;
const MAX_TAGS: usize = 20;
const MAX_TAG: usize = 64;

/// Bookmark `status` (which the person may see) if they have not, and write the note and tags
/// on it.
pub fn annotate(
    conn: &mut DbConn,
    me: &Account,
    status: &Status,
    annotation: Annotation,
) -> Result<Annotated, Error> {
    if status.deleted_at.is_some() || !super::visibility::can_see(conn, Some(me), status)? {
        return Err(Error::NotFound);
    }
    if annotation
        .note
        .as_ref()
        .is_some_and(|n| n.chars().count() > MAX_NOTE)
    {
        return Err(Error::Unprocessable(format!(
            "a bookmark's note is limited to {MAX_NOTE} characters"
        )));
    }
    let tags = annotation.tags.map(|t| tag_names(&t)).transpose()?;
    crate::db::transaction(conn, |conn| {
        add(conn, me.id, status.id)?;
        let bookmark = bookmarks::find(conn, me.id, status.id)?.ok_or(Error::NotFound)?;
        if let Some(note) = &annotation.note {
            bookmarks::set_note(conn, bookmark.id, note.trim())?;
        }
        if let Some(tags) = &tags {
            bookmarks::set_tags(conn, &bookmark, tags)?;
        }
        let bookmark = bookmarks::find(conn, me.id, status.id)?.ok_or(Error::NotFound)?;
        Ok(annotated(conn, vec![bookmark])?.remove(0))
    })
}

/// Tags as they are kept: without `#`, lowercase, each once, in the order given.
pub fn tag_names(given: &[String]) -> Result<Vec<String>, Error> {
    let mut tags: Vec<String> = Vec::new();
    for tag in given {
        let tag = tag.trim().trim_start_matches('#').to_lowercase();
        if tag.is_empty() || tags.contains(&tag) {
            continue;
        }
        let fits = tag.chars().count() <= MAX_TAG
            && tag
                .chars()
                .all(|c| c.is_alphanumeric() || c == '_' || c == '-');
        if !fits {
            return Err(Error::Unprocessable(format!(
                "{tag:?} is not a tag: up to {MAX_TAG} letters, digits, _ and -"
            )));
        }
        tags.push(tag);
    }
    if tags.len() > MAX_TAGS {
        return Err(Error::Unprocessable(format!(
            "a bookmark takes at most {MAX_TAGS} tags"
        )));
    }
    Ok(tags)
}

/// The bookmarks with their tags, in the order given.
pub fn annotated(conn: &mut DbConn, list: Vec<Bookmark>) -> Result<Vec<Annotated>, Error> {
    let ids: Vec<i64> = list.iter().map(|b| b.id).collect();
    let mut tags: HashMap<i64, Vec<String>> = HashMap::new();
    for (id, tag) in bookmarks::tags_of(conn, &ids)? {
        tags.entry(id).or_default().push(tag);
    }
    Ok(list
        .into_iter()
        .map(|bookmark| Annotated {
            tags: tags.remove(&bookmark.id).unwrap_or_default(),
            bookmark,
        })
        .collect())
}

/// The posts of `list` that `me` may still see: deleted ones and those hidden from them since
/// (a block, a community they left) are left out. In no particular order.
pub fn posts_of(conn: &mut DbConn, me: &Account, list: &[Annotated]) -> Result<Vec<Status>, Error> {
    let ids: Vec<i64> = list.iter().map(|a| a.bookmark.status_id).collect();
    let rows = crate::store::statuses::by_ids(conn, &ids)?
        .into_iter()
        .filter(|s| s.deleted_at.is_none())
        .collect();
    super::visibility::filter_visible(conn, Some(me), rows)
}

/// The tags the person files bookmarks under, alphabetically, with how many each holds.
pub fn tags_in_use(conn: &mut DbConn, account_id: i64) -> Result<Vec<(String, i64)>, Error> {
    bookmarks::tag_counts(conn, account_id)
}

/// A page of the person's bookmarks, newest first, under `tag` if one is given.
pub fn page(
    conn: &mut DbConn,
    account_id: i64,
    tag: Option<&str>,
    page: Page,
) -> Result<Vec<Annotated>, Error> {
    let ids: Vec<i64> = match tag {
        Some(tag) => {
            let tag = tag.trim_start_matches('#').to_lowercase();
            bookmarks::page_tagged(conn, account_id, &tag, page)?
        }
        None => bookmarks::page(conn, account_id, page)?
            .into_iter()
            .map(|(id, _)| id)
            .collect(),
    };
    let mut list = bookmarks::by_ids(conn, &ids)?;
    list.sort_by_key(|b| std::cmp::Reverse(b.id));
    annotated(conn, list)
}
