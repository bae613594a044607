//! What the Atom feeds of a person, a community and a hashtag hold: their latest public
//! posts, exactly as a signed-out visitor is shown them, since a feed reader signs in as
//! nobody. Members-only communities have no feed.

use crate::db::DbConn;
use crate::domain::{AccountKind, Visibility};
use crate::error::Error;
use crate::service::{communities, timelines};
use crate::store::{
    accounts::{self, Account},
    statuses::{self, Page, Status, Whose},
};

/// Entries in a feed: feed readers poll, so the latest are enough.
const ENTRIES: i64 = 20;

/// A feed's posts with their authors.
pub struct Entries {
    pub posts: Vec<Status>,
    pub authors: Vec<Account>,
    /// The posts' attachments, in each post's order.
    pub attachments: Vec<crate::store::media::Attachment>,
}

fn latest() -> Page {
    Page {
        max_id: None,
        since_id: None,
        min_id: None,
        limit: ENTRIES,
    }
}

/// Of `rows`, what a signed-out visitor may see that is public, with the authors.
fn public(conn: &mut DbConn, context: &str, rows: Vec<Status>) -> Result<Entries, Error> {
    let posts: Vec<Status> = timelines::shown(conn, None, context, rows)?
        .into_iter()
        .filter(|s| s.visibility == Visibility::Public && s.reblog_of_id.is_none())
        .collect();
    let mut ids: Vec<i64> = posts.iter().map(|s| s.account_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let authors = accounts::by_ids(conn, &ids)?;
    let post_ids: Vec<i64> = posts.iter().map(|s| s.id).collect();
    let attachments = crate::store::media::of_statuses(conn, &post_ids)?;
    Ok(Entries {
        posts,
        authors,
        attachments,
    })
}

/// A local person's feed: their own public posts, replies included.
pub fn person(conn: &mut DbConn, name: &str) -> Result<(Account, Entries), Error> {
    let person = accounts::local_by_username(conn, name)?
        .filter(|a| a.kind == AccountKind::Person && !a.suspended && a.deleted_at.is_none())
        .ok_or(Error::NotFound)?;
    let rows = statuses::by_account(
        conn,
        Whose::By(person.id),
        (false, true, false),
        None,
        latest(),
    )?;
    Ok((person, public(conn, "account", rows)?))
}

/// A local community's feed: the public posts in it. 404 where a visitor may not look inside.
pub fn community(conn: &mut DbConn, name: &str) -> Result<(Account, Entries), Error> {
    let community = accounts::local_by_username(conn, name)?
        .filter(|a| a.kind == AccountKind::Group && !a.suspended)
        .ok_or(Error::NotFound)?;
    if !communities::sees_inside(conn, community.id, None)? {
        return Err(Error::NotFound);
    }
    let whose = Whose::InCommunity(community.id);
    let rows = statuses::by_account(conn, whose, (false, true, false), None, latest())?;
    Ok((community, public(conn, "public", rows)?))
}

/// A hashtag's feed: public posts with it, from here and other servers.
pub fn tag(conn: &mut DbConn, tag: &str) -> Result<Entries, Error> {
    let feed = timelines::Feed::Tag {
        tag: tag.to_lowercase(),
        local: None,
        only_media: false,
    };
    let rows = timelines::rows(conn, None, &feed, latest())?;
    public(conn, feed.context(), rows)
}
