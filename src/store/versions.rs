//! Earlier versions of edited statuses, for their edit history.

use super::statuses::Status;
use crate::db::DbConn;
use crate::error::Error;
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// An earlier version of an edited status.
#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = crate::db::schema::status_edits)]
pub struct Version {
    pub title: Option<String>,
    pub content: String,
    pub spoiler_text: String,
    pub sensitive: bool,
    /// When this version was written: the status's creation or its previous edit.
    pub created_at: NaiveDateTime,
    /// Its attachments' ids, comma-separated, in order.
    pub media_ids: String,
}

impl Version {
    pub fn media_ids(&self) -> Vec<i64> {
        self.media_ids
            .split(',')
            .filter_map(|id| id.parse().ok())
            .collect()
    }
}

/// Keep the current version of `status` before it is edited.
pub fn keep_version(conn: &mut DbConn, status: &Status) -> Result<(), Error> {
    use crate::db::schema::status_edits;
    let media: Vec<String> = super::media::of_statuses(conn, &[status.id])?
        .iter()
        .map(|a| a.id.to_string())
        .collect();
    diesel::insert_into(status_edits::table)
        .values((
            status_edits::id.eq(crate::ids::next_id()),
            status_edits::status_id.eq(status.id),
            status_edits::title.eq(&status.title),
            status_edits::content.eq(&status.content),
            status_edits::spoiler_text.eq(&status.spoiler_text),
            status_edits::sensitive.eq(status.sensitive),
            status_edits::created_at.eq(status.edited_at.unwrap_or(status.created_at)),
            status_edits::media_ids.eq(media.join(",")),
        ))
        .execute(conn)?;
    Ok(())
}

/// Earlier versions of a status, oldest first.
pub fn versions(conn: &mut DbConn, status_id: i64) -> Result<Vec<Version>, Error> {
    use crate::db::schema::status_edits;
    Ok(status_edits::table
        .filter(status_edits::status_id.eq(status_id))
        .order(status_edits::id.asc())
        .select(Version::as_select())
        .load(conn)?)
}
