//! Posts received from other servers: kept, brought up to date when their author edits
//! them (with their attachments, poll and link), and deleted when their author says so.

use crate::db::DbConn;
use crate::domain::Visibility;
use crate::error::Error;
use crate::ids::next_id;
use crate::protocol::remote_post::{RemoteAttachment, RemotePoll};
use crate::service::statuses::{notify_mentions, notify_update};
use crate::service::{communities, text};
use crate::store::{
    accounts::{self as account_store, Account},
    statuses::{self as status_store, Status, StatusEdit},
};
use chrono::NaiveDateTime;

/// A post as read from another server, already sanitised where it holds HTML.
pub struct RemotePost {
    pub ap_id: String,
    pub url: Option<String>,
    pub title: Option<String>,
    pub content: String,
    pub spoiler_text: String,
    pub sensitive: bool,
    pub visibility: Visibility,
    pub published: Option<NaiveDateTime>,
    /// When its author last edited it, as its server says.
    pub updated: Option<NaiveDateTime>,
    /// Hashtags, lowercase and without `#`.
    pub tags: Vec<String>,
    /// Files, linked where they are (none from a domain whose media are refused).
    pub attachments: Vec<RemoteAttachment>,
    pub poll: Option<RemotePoll>,
    /// What a link thread links to, as its server described it.
    pub link: Option<super::cards::Given>,
    /// Whether a thread is asked as a question, and the id of its accepted answer.
    pub asks: bool,
    pub accepted_answer: Option<String>,
}

/// Store a post received from another server, or its new version. A deleted post stays
/// deleted, and only its author may change it.
pub fn store_remote(
    conn: &mut DbConn,
    author: &Account,
    parent: Option<&Status>,
    community: Option<&Account>,
    post: &RemotePost,
    mentioned: &[i64],
) -> Result<Status, Error> {
    crate::db::transaction(conn, |conn| {
        let content = text::sanitise(&post.content);
        if let Some(existing) = status_store::by_ap_id(conn, &post.ap_id)? {
            if existing.account_id != author.id {
                return Err(Error::Forbidden("only the author may change a post".into()));
            }
            // A post fetched again unchanged (communities' announces make us refetch) is no
            // edit.
            let media = crate::store::media::of_statuses(conn, &[existing.id])?;
            let media_changed = media.len() != post.attachments.len()
                || media.iter().zip(&post.attachments).any(|(kept, sent)| {
                    kept.remote_url.as_deref() != Some(sent.url.as_str())
                        || kept.description != sent.description
                });
            let changed = existing.content != content
                || existing.title != post.title
                || existing.spoiler_text != post.spoiler_text
                || existing.sensitive != post.sensitive
                || media_changed;
            if existing.deleted_at.is_none() && changed {
                crate::store::versions::keep_version(conn, &existing)?;
                let edit = StatusEdit {
                    title: post.title.clone(),
                    content: content.clone(),
                    source: String::new(),
                    spoiler_text: post.spoiler_text.clone(),
                    sensitive: post.sensitive,
                    edited_at: Some(post.updated.unwrap_or_else(crate::time::now)),
                };
                status_store::edit(conn, existing.id, &edit)?;
                let given = post.link.clone();
                super::cards::link_post(conn, existing.id, &content, given)?;
                crate::store::tags::replace(conn, existing.id, &post.tags)?;
                if media_changed {
                    crate::store::media::retire_all(conn, existing.id)?;
                    keep_remote_attachments(conn, &existing, &post.attachments)?;
                }
                notify_update(conn, &existing)?;
            }
            // A poll's counts change without the post being edited.
            if existing.deleted_at.is_none() {
                super::polls::store_remote(conn, existing.id, post.poll.as_ref())?;
                keep_question(conn, &existing, post)?;
            }
            return status_store::by_ap_id(conn, &post.ap_id)?.ok_or(Error::NotFound);
        }
        // A direct post stays between the people it names: never in a community. One that
        // names the community alone is a post into it, which its posting rules decide on.
        let in_community = post.visibility != Visibility::Direct;
        if let (false, Some(community)) = (in_community, community) {
            if mentioned.iter().all(|id| *id == community.id) {
                communities::admit_post(conn, community, author, parent, Visibility::Public)?;
            }
        }
        let community_id = parent
            .and_then(|p| p.community_id)
            .or(community.map(|c| c.id))
            .filter(|_| in_community);
        let mut visibility = post.visibility;
        if let Some(community_id) = community_id {
            let community = account_store::by_id(conn, community_id)?.ok_or(Error::NotFound)?;
            visibility = communities::admit_post(conn, &community, author, parent, visibility)?;
        }
        let status = Status {
            community_id,
            in_reply_to_id: parent.map(|p| p.id),
            in_reply_to_account_id: parent.map(|p| p.account_id),
            thread_root_id: parent.map(|p| p.thread_root_id.unwrap_or(p.id)),
            url: post.url.clone(),
            title: post.title.clone(),
            content,
            spoiler_text: post.spoiler_text.clone(),
            sensitive: post.sensitive,
            created_at: post.published.unwrap_or_else(crate::time::now),
            ..Status::new(next_id(), author.id, post.ap_id.clone(), visibility)
        };
        status_store::insert(conn, &status)?;
        keep_remote_attachments(conn, &status, &post.attachments)?;
        super::polls::store_remote(conn, status.id, post.poll.as_ref())?;
        keep_question(conn, &status, post)?;
        let given = post.link.clone();
        super::cards::link_post(conn, status.id, &status.content, given)?;
        crate::store::mentions::insert(conn, status.id, mentioned)?;
        crate::store::tags::insert(conn, status.id, &post.tags)?;
        crate::store::status_counts::count_post(conn, &status, true)?;
        notify_mentions(conn, &status)?;
        Ok(status)
    })
}

/// A community thread its author asks as a question, with the answer its document names
/// (a reply in the thread that we have). An answer is never taken back by a document that
/// names none: servers that do not know questions leave the field out.
fn keep_question(conn: &mut DbConn, status: &Status, post: &RemotePost) -> Result<(), Error> {
    let (true, Some(community_id), None) = (post.asks, status.community_id, status.in_reply_to_id)
    else {
        return Ok(());
    };
    crate::store::questions::ask(conn, status.id, community_id)?;
    let Some(answer) = &post.accepted_answer else {
        return Ok(());
    };
    let answer = status_store::by_ap_id(conn, answer)?
        .filter(|a| a.thread_root_id == Some(status.id) && a.removed_at.is_none());
    let known = crate::store::questions::by_status(conn, status.id)?.and_then(|q| q.answer_id);
    match answer {
        Some(answer) if known != Some(answer.id) => crate::store::questions::set_answer(
            conn,
            status.id,
            Some(answer.id),
            crate::time::now(),
        ),
        _ => Ok(()),
    }
}

/// Record a received post's files, linked where they are.
fn keep_remote_attachments(
    conn: &mut DbConn,
    status: &Status,
    attachments: &[RemoteAttachment],
) -> Result<(), Error> {
    for (position, a) in attachments.iter().enumerate() {
        let row = crate::store::media::Attachment {
            id: next_id(),
            account_id: status.account_id,
            status_id: Some(status.id),
            position: position as i32,
            kind: a.kind,
            content_type: a.media_type.clone(),
            file_key: None,
            preview_key: None,
            remote_url: Some(a.url.clone()),
            description: a.description.clone(),
            focus_x: a.focus.map(|f| f.0),
            focus_y: a.focus.map(|f| f.1),
            width: a.width,
            height: a.height,
            preview_width: None,
            preview_height: None,
            blurhash: a.blurhash.clone(),
            file_size: None,
            created_at: crate::time::now(),
        };
        crate::store::media::insert(conn, &row)?;
    }
    Ok(())
}

/// A remote author deleted its post.
pub fn delete_remote(
    conn: &mut DbConn,
    author: &Account,
    ap_id: &str,
) -> Result<Option<Status>, Error> {
    crate::db::transaction(conn, |conn| {
        let Some(status) = status_store::by_ap_id(conn, ap_id)? else {
            return Ok(None);
        };
        if status.account_id != author.id {
            return Err(Error::Forbidden("only the author may delete a post".into()));
        }
        if status.deleted_at.is_none() {
            status_store::mark_deleted(conn, status.id, crate::time::now())?;
            crate::store::status_counts::count_post(conn, &status, false)?;
        }
        Ok(Some(status))
    })
}
