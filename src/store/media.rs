//! Attachments: uploads waiting for a post, and the files of posts (uploaded here or linked
//! from the server a post came from).

use crate::db::{schema::media_attachments as media, DbConn};
use crate::domain::MediaKind;
use crate::error::Error;
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = media)]
pub struct Attachment {
    pub id: i64,
    pub account_id: i64,
    pub status_id: Option<i64>,
    /// Its place in the post; -1 once an edit took it out (kept for the edit history).
    pub position: i32,
    pub kind: MediaKind,
    pub content_type: String,
    /// The file kept here; None for a remote file that is only linked.
    pub file_key: Option<String>,
    pub preview_key: Option<String>,
    pub remote_url: Option<String>,
    pub description: Option<String>,
    pub focus_x: Option<f32>,
    pub focus_y: Option<f32>,
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub preview_width: Option<i32>,
    pub preview_height: Option<i32>,
    pub blurhash: Option<String>,
    pub file_size: Option<i64>,
    pub created_at: NaiveDateTime,
}

impl Attachment {
    /// Where the file is read: served from this server (`base`) when kept here, else linked
    /// where it lives. None for neither.
    pub fn url(&self, base: &str) -> Option<String> {
        match &self.file_key {
            Some(key) => Some(format!("{base}/media/{key}")),
            None => self.remote_url.clone(),
        }
    }

    /// Its small version: the preview kept here, else an image itself.
    pub fn preview_url(&self, base: &str) -> Option<String> {
        match (&self.preview_key, self.kind) {
            (Some(key), _) => Some(format!("{base}/media/{key}")),
            (None, MediaKind::Image) => self.url(base),
            (None, _) => None,
        }
    }
}

pub fn insert(conn: &mut DbConn, attachment: &Attachment) -> Result<(), Error> {
    diesel::insert_into(media::table)
        .values(attachment)
        .execute(conn)?;
    Ok(())
}

pub fn by_id(conn: &mut DbConn, id: i64) -> Result<Option<Attachment>, Error> {
    Ok(media::table
        .find(id)
        .select(Attachment::as_select())
        .first(conn)
        .optional()?)
}

pub fn update_details(conn: &mut DbConn, attachment: &Attachment) -> Result<(), Error> {
    diesel::update(media::table.find(attachment.id))
        .set((
            media::description.eq(&attachment.description),
            media::focus_x.eq(attachment.focus_x),
            media::focus_y.eq(attachment.focus_y),
        ))
        .execute(conn)?;
    Ok(())
}

/// Every attachment a post has had, those edits took out included.
pub fn ever_of_status(conn: &mut DbConn, status_id: i64) -> Result<Vec<Attachment>, Error> {
    Ok(media::table
        .filter(media::status_id.eq(status_id))
        .select(Attachment::as_select())
        .load(conn)?)
}

/// Put an attachment at `position` in `status_id` (negative: out of its current version).
pub fn attach(conn: &mut DbConn, id: i64, status_id: i64, position: i32) -> Result<(), Error> {
    diesel::update(media::table.find(id))
        .set((media::status_id.eq(status_id), media::position.eq(position)))
        .execute(conn)?;
    Ok(())
}

/// Attach `owner_id`'s upload `id` to `status_id` if no post has it yet; whether it did.
pub fn take_upload(
    conn: &mut DbConn,
    id: i64,
    owner_id: i64,
    status_id: i64,
    position: i32,
) -> Result<bool, Error> {
    let taken = diesel::update(
        media::table
            .filter(media::id.eq(id))
            .filter(media::account_id.eq(owner_id))
            .filter(media::status_id.is_null()),
    )
    .set((media::status_id.eq(status_id), media::position.eq(position)))
    .execute(conn)?;
    Ok(taken == 1)
}

/// Take all of a post's attachments out of its current version (they stay for its edit
/// history); an edit then puts back those it keeps.
pub fn retire_all(conn: &mut DbConn, status_id: i64) -> Result<(), Error> {
    diesel::update(
        media::table
            .filter(media::status_id.eq(status_id))
            .filter(media::position.ge(0)),
    )
    .set(media::position.eq(-1))
    .execute(conn)?;
    Ok(())
}

/// The attachments of `status_ids` as they are now, in each post's order: one query for a
/// whole list.
pub fn of_statuses(conn: &mut DbConn, status_ids: &[i64]) -> Result<Vec<Attachment>, Error> {
    Ok(media::table
        .filter(super::one_of(conn, media::status_id, status_ids))
        .filter(media::position.ge(0))
        .order((media::status_id, media::position))
        .select(Attachment::as_select())
        .load(conn)?)
}

/// Attachments no post keeps: uploads left unattached since before `cutoff`, and those of
/// deleted posts; at most `limit`.
pub fn unkept(
    conn: &mut DbConn,
    cutoff: NaiveDateTime,
    limit: i64,
) -> Result<Vec<Attachment>, Error> {
    use crate::db::schema::statuses;
    let deleted = statuses::table
        .filter(statuses::deleted_at.is_not_null())
        .select(statuses::id.nullable());
    Ok(media::table
        .filter(
            media::status_id
                .is_null()
                .and(media::created_at.lt(cutoff))
                .or(media::status_id.eq_any(deleted)),
        )
        .limit(limit)
        .select(Attachment::as_select())
        .load(conn)?)
}

pub fn delete(conn: &mut DbConn, ids: &[i64]) -> Result<(), Error> {
    diesel::delete(media::table.filter(media::id.eq_any(ids))).execute(conn)?;
    Ok(())
}

/// Attachments by where they are kept.
pub struct Counts {
    /// Uploaded here and in a post.
    pub local: i64,
    /// Uploaded here, waiting for a post.
    pub unattached: i64,
    /// Of posts from other servers, linked where they are.
    pub remote: i64,
}

pub fn counts(conn: &mut DbConn) -> Result<Counts, Error> {
    let local_files = media::table.filter(media::file_key.is_not_null());
    Ok(Counts {
        local: local_files
            .filter(media::status_id.is_not_null())
            .count()
            .get_result(conn)?,
        unattached: media::table
            .filter(media::status_id.is_null())
            .count()
            .get_result(conn)?,
        remote: media::table
            .filter(media::file_key.is_null())
            .count()
            .get_result(conn)?,
    })
}
