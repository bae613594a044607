//! What people attach to posts, and their avatars and headers: uploads checked and prepared
//! (`process`), kept under names Guild makes, attached to posts, and swept when no post keeps
//! them.

mod process;

pub use process::{process, Processed};
use process::{process_off_reactor, FILE_TYPES, IMAGE_TYPES};

use crate::config::Config;
use crate::db::{Db, DbConn};
use crate::domain::{MediaKind, MAX_ALT_TEXT_CHARS};
use crate::error::Error;
use crate::files::FileStore;
use crate::ids::next_id;
use crate::store::{
    accounts::Account,
    media::{self, Attachment},
};

/// Attachments one post may carry.
pub const MAX_PER_POST: usize = 4;

/// The name of an upload's files: its id and a random part, so that the files of a post
/// only some may read cannot be found by counting ids.
fn file_name(id: i64) -> String {
    format!(
        "{id}-{:016x}{:016x}",
        rand::random::<u64>(),
        rand::random::<u64>()
    )
}

/// The content type of a stored file by its key (`{id}-{random}.{ext}`, with `-small` for a
/// preview), or None for keys Guild never makes, so no request can name another file.
pub fn stored_type(key: &str) -> Option<&'static str> {
    let (stem, ext) = key.split_once('.')?;
    let stem = stem.strip_suffix("-small").unwrap_or(stem);
    let digits = |s: &str, hex: bool| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_digit() || (hex && matches!(b, b'a'..=b'f')))
    };
    // Avatars and headers kept before names had a random part: `{id}.{image ext}`.
    if digits(stem, false) && key == format!("{stem}.{ext}") {
        return IMAGE_TYPES
            .iter()
            .chain([("image/webp", "webp")].iter())
            .find(|(_, e)| *e == ext)
            .map(|(t, _)| *t);
    }
    let (id, random) = stem.split_once('-')?;
    if !digits(id, false) || random.len() != 32 || !digits(random, true) {
        return None;
    }
    let known = IMAGE_TYPES
        .iter()
        .chain([("image/webp", "webp"), ("text/plain; charset=utf-8", "txt")].iter())
        .map(|(t, e)| (*t, *e))
        .chain(FILE_TYPES.iter().map(|(t, e, _)| (*t, *e)));
    known.into_iter().find(|(_, e)| *e == ext).map(|(t, _)| t)
}

/// Every content type an upload may have, for the instance's description.
pub fn accepted_types() -> Vec<&'static str> {
    let images = ["image/jpeg", "image/png", "image/gif", "image/webp"];
    let files = FILE_TYPES.iter().map(|(t, ..)| *t);
    images
        .into_iter()
        .chain(files)
        .chain(["text/plain"])
        .collect()
}

/// Whether a browser should offer a stored file as a download rather than open it.
pub fn served_as_download(content_type: &str) -> bool {
    content_type == "application/pdf"
}

fn refused(why: impl Into<String>) -> Error {
    Error::Unprocessable(why.into())
}

/// What a person says about an attachment: alt text and focal point.
#[derive(Default, Clone)]
pub struct Details {
    pub description: Option<String>,
    /// `x,y`, each from -1 to 1.
    pub focus: Option<String>,
}

impl Details {
    /// Change what was given (alt text, focal point) of `attachment`, and keep it.
    fn apply(&self, conn: &mut DbConn, attachment: &mut Attachment) -> Result<(), Error> {
        let (description, focus) = self.check()?;
        if self.description.is_some() {
            attachment.description = description;
        }
        if self.focus.is_some() {
            attachment.focus_x = focus.map(|f| f.0);
            attachment.focus_y = focus.map(|f| f.1);
        }
        media::update_details(conn, attachment)
    }

    /// The alt text (trimmed, None when empty) and the focal point, if they are valid.
    fn check(&self) -> Result<(Option<String>, Option<Focus>), Error> {
        let description = self.description.as_deref().map(str::trim);
        if description.is_some_and(|d| d.chars().count() > MAX_ALT_TEXT_CHARS) {
            return Err(refused(format!(
                "descriptions are limited to {MAX_ALT_TEXT_CHARS} characters"
            )));
        }
        let focus = match self.focus.as_deref().filter(|f| !f.is_empty()) {
            None => None,
            Some(text) => Some(parse_focus(text).ok_or_else(|| {
                refused("focus must be two numbers from -1 to 1, such as 0.5,-0.25")
            })?),
        };
        Ok((
            description.filter(|d| !d.is_empty()).map(str::to_string),
            focus,
        ))
    }
}

/// A focal point: x and y, each from -1 to 1.
type Focus = (f32, f32);

fn parse_focus(text: &str) -> Option<Focus> {
    let (x, y) = text.split_once(',')?;
    let (x, y): (f32, f32) = (x.trim().parse().ok()?, y.trim().parse().ok()?);
    let within = |v: f32| (-1.0..=1.0).contains(&v);
    (within(x) && within(y)).then_some((x, y))
}

/// Process and keep an upload for `owner`, unattached until a post takes it.
pub async fn upload(
    (db, config, files): (&Db, &Config, &FileStore),
    owner: &Account,
    upload: (Vec<u8>, String),
    details: Details,
) -> Result<Attachment, Error> {
    let (description, focus) = details.check()?;
    let processed = process_off_reactor(config, upload.0, upload.1).await?;
    let id = next_id();
    let name = file_name(id);
    let key = format!("{name}.{}", processed.ext);
    files.put(&key, processed.bytes.clone()).await?;
    let preview_key = match &processed.preview {
        Some(preview) => {
            let key = format!("{name}-small.{}", preview.ext);
            files.put(&key, preview.bytes.clone()).await?;
            Some(key)
        }
        None => None,
    };
    let preview = processed.preview.as_ref();
    let attachment = Attachment {
        id,
        account_id: owner.id,
        status_id: None,
        position: 0,
        kind: processed.kind,
        content_type: processed.content_type.to_string(),
        file_key: Some(key),
        preview_key,
        remote_url: None,
        description,
        focus_x: focus.map(|f| f.0),
        focus_y: focus.map(|f| f.1),
        width: processed.width,
        height: processed.height,
        preview_width: preview.map(|p| p.width),
        preview_height: preview.map(|p| p.height),
        blurhash: processed.blurhash,
        file_size: Some(processed.bytes.len() as i64),
        created_at: crate::time::now(),
    };
    let row = attachment.clone();
    db.run(move |conn| media::insert(conn, &row)).await?;
    Ok(attachment)
}

/// An avatar or header: processed as any image upload (metadata dropped), kept without a
/// preview; its public URL.
pub async fn profile_image(
    config: &Config,
    files: &FileStore,
    upload: (Vec<u8>, String),
) -> Result<String, Error> {
    let processed = process_off_reactor(config, upload.0, upload.1).await?;
    if processed.kind != MediaKind::Image {
        return Err(refused(
            "avatars and headers must be JPEG, PNG, GIF or WebP images",
        ));
    }
    let key = format!("{}.{}", file_name(next_id()), processed.ext);
    files.put(&key, processed.bytes).await?;
    Ok(file_url(config, &key))
}

/// Where a stored file is served.
pub fn file_url(config: &Config, key: &str) -> String {
    format!("{}/media/{key}", config.base_url())
}

/// Change an unattached upload's alt text or focal point; only its owner may.
pub fn update(
    conn: &mut DbConn,
    owner: &Account,
    id: i64,
    details: Details,
) -> Result<Attachment, Error> {
    let mut attachment = unattached_of(conn, owner, id)?;
    details.apply(conn, &mut attachment)?;
    Ok(attachment)
}

/// One of `owner`'s uploads not yet in a post; anything else is not found, as in Mastodon.
pub fn unattached_of(conn: &mut DbConn, owner: &Account, id: i64) -> Result<Attachment, Error> {
    media::by_id(conn, id)?
        .filter(|a| a.account_id == owner.id && a.status_id.is_none())
        .ok_or(Error::NotFound)
}

/// Attach `ids` (the poster's own, unattached uploads, at most [`MAX_PER_POST`]) to a new
/// post, in the order given. Call inside the post's transaction.
pub fn attach(
    conn: &mut DbConn,
    owner: &Account,
    status_id: i64,
    ids: &[i64],
) -> Result<(), Error> {
    if ids.len() > MAX_PER_POST {
        return Err(refused(format!(
            "a post may carry at most {MAX_PER_POST} attachments"
        )));
    }
    for (position, id) in ids.iter().enumerate() {
        // Taken only if still unattached, so two posts cannot both take one upload.
        if !media::take_upload(conn, *id, owner.id, status_id, position as i32)? {
            return Err(refused(format!(
                "media {id} is not an unattached upload of yours"
            )));
        }
    }
    Ok(())
}

/// An edit's attachments: `ids` in order (those of the post, or the editor's unattached
/// uploads); those left out stay with the post for its edit history. `details` change alt
/// text and focal points of the post's attachments. Call inside the edit's transaction.
pub fn reattach(
    conn: &mut DbConn,
    owner: &Account,
    status_id: i64,
    ids: Option<&[i64]>,
    details: &[(i64, Details)],
) -> Result<(), Error> {
    let ever = media::ever_of_status(conn, status_id)?;
    if let Some(ids) = ids {
        if ids.len() > MAX_PER_POST {
            return Err(refused(format!(
                "a post may carry at most {MAX_PER_POST} attachments"
            )));
        }
        media::retire_all(conn, status_id)?;
        for (position, id) in ids.iter().enumerate() {
            let position = position as i32;
            if ever.iter().any(|a| a.id == *id) {
                media::attach(conn, *id, status_id, position)?;
            } else if !media::take_upload(conn, *id, owner.id, status_id, position)? {
                return Err(refused(format!(
                    "media {id} is not an unattached upload of yours"
                )));
            }
        }
    }
    for (id, change) in details {
        let mut attachment = media::by_id(conn, *id)?
            .filter(|a| a.status_id == Some(status_id))
            .ok_or_else(|| refused(format!("media {id} is not in this post")))?;
        change.apply(conn, &mut attachment)?;
    }
    Ok(())
}

/// How long an upload may wait for a post.
pub const UNATTACHED_FOR: chrono::Duration = chrono::Duration::days(1);

/// Remove the files and records of attachments no post keeps: uploads no post took within
/// `unattached_for`, and those of deleted posts. Files go first, so a crash between leaves a
/// record to try again, never a file nothing points at. `progress` hears the running total
/// after each batch; returns how many were removed.
pub async fn sweep(
    (db, files): (&Db, &FileStore),
    unattached_for: chrono::Duration,
    progress: impl Fn(usize),
) -> Result<usize, Error> {
    let mut removed = 0;
    loop {
        let cutoff = crate::time::now() - unattached_for;
        let batch = db.run(move |conn| media::unkept(conn, cutoff, 100)).await?;
        if batch.is_empty() {
            return Ok(removed);
        }
        let keys: Vec<String> = batch
            .iter()
            .flat_map(|a| [a.file_key.clone(), a.preview_key.clone()])
            .flatten()
            .collect();
        for key in keys {
            files.delete(&key).await?;
        }
        let ids: Vec<i64> = batch.iter().map(|a| a.id).collect();
        removed += ids.len();
        db.run(move |conn| media::delete(conn, &ids)).await?;
        progress(removed);
    }
}

/// What uploaded files take: files and bytes in the file store, and attachments by where
/// they are kept.
pub struct Usage {
    pub files: u64,
    pub bytes: u64,
    pub attachments: media::Counts,
}

pub async fn usage(db: &Db, files: &FileStore) -> Result<Usage, Error> {
    let (files, bytes) = files.usage().await?;
    let attachments = db.run(media::counts).await?;
    Ok(Usage {
        files,
        bytes,
        attachments,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_keys_guild_makes_are_served() {
        let name = file_name(123);
        assert_eq!(stored_type(&format!("{name}.png")), Some("image/png"));
        assert_eq!(
            stored_type(&format!("{name}-small.jpg")),
            Some("image/jpeg")
        );
        assert_eq!(stored_type(&format!("{name}.pdf")), Some("application/pdf"));
        assert_ne!(file_name(123), name, "not guessable from the id");
        assert_eq!(
            stored_type("123.png"),
            Some("image/png"),
            "an avatar kept before"
        );
        assert_eq!(stored_type("123.pdf"), None);
        assert_eq!(stored_type("123-small.png"), None);
        assert_eq!(stored_type("../etc.png"), None);
        assert_eq!(stored_type(&format!("{name}.svg")), None);
        assert_eq!(stored_type(&format!(".{name}.png.partial")), None);
    }

    #[test]
    fn alt_text_and_focus_are_checked() {
        let details = |description: &str, focus: &str| Details {
            description: Some(description.into()),
            focus: Some(focus.into()),
        };
        assert_eq!(
            details(" a chart ", "0.5,-0.25").check().unwrap(),
            (Some("a chart".into()), Some((0.5, -0.25)))
        );
        assert!(details("", "2,0").check().is_err());
        assert!(details(&"x".repeat(MAX_ALT_TEXT_CHARS + 1), "")
            .check()
            .is_err());
    }
}
