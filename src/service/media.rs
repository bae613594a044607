//! What people attach to posts, and their avatars and headers: uploads are checked by their
//! bytes (never by what the client claims), images are decoded, turned upright and encoded
//! again (which drops EXIF and GPS metadata, and anything hidden after the image), given a
//! preview and a blurhash; other files people share at work (PDF, text, audio, video) are kept
//! as they are. Processing is CPU work: [`process`] runs off the async reactor, a few at a
//! time.

use crate::config::{Config, MediaLimits};
use crate::db::{Db, DbConn};
use crate::domain::{MediaKind, MAX_ALT_TEXT_CHARS};
use crate::error::Error;
use crate::files::FileStore;
use crate::ids::next_id;
use crate::store::{
    accounts::Account,
    media::{self, Attachment},
};
use image::{AnimationDecoder, DynamicImage, ImageDecoder, ImageFormat};
use std::io::Cursor;

/// The longer side of a preview, as Mastodon's "small" version.
const PREVIEW_SIDE: u32 = 640;
/// Attachments one post may carry.
pub const MAX_PER_POST: usize = 4;

/// Types taken besides images, by what their bytes say (`infer`), with the extension kept.
const FILE_TYPES: &[(&str, &str, MediaKind)] = &[
    ("application/pdf", "pdf", MediaKind::Unknown),
    ("audio/mpeg", "mp3", MediaKind::Audio),
    ("audio/ogg", "ogg", MediaKind::Audio),
    ("audio/x-wav", "wav", MediaKind::Audio),
    ("audio/x-flac", "flac", MediaKind::Audio),
    ("audio/m4a", "m4a", MediaKind::Audio),
    ("video/mp4", "mp4", MediaKind::Video),
    ("video/webm", "webm", MediaKind::Video),
    ("video/quicktime", "mov", MediaKind::Video),
];

/// Image types: what Guild decodes and what it stores them as.
const IMAGE_TYPES: &[(&str, &str)] = &[
    ("image/jpeg", "jpg"),
    ("image/png", "png"),
    ("image/gif", "gif"),
];

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

/// A file ready to keep.
pub struct Processed {
    pub kind: MediaKind,
    pub content_type: &'static str,
    pub ext: &'static str,
    pub bytes: Vec<u8>,
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub preview: Option<Preview>,
    pub blurhash: Option<String>,
}

pub struct Preview {
    pub bytes: Vec<u8>,
    pub ext: &'static str,
    pub width: i32,
    pub height: i32,
}

fn refused(why: impl Into<String>) -> Error {
    Error::Unprocessable(why.into())
}

/// Check and prepare an upload. Blocking and CPU-heavy: call through [`process_off_reactor`].
pub fn process(limits: &MediaLimits, bytes: &[u8], claimed: &str) -> Result<Processed, Error> {
    if let Some(format) = image_format(bytes) {
        if bytes.len() > limits.max_image_bytes {
            return Err(refused(format!(
                "the image is too large: images are limited to {} bytes",
                limits.max_image_bytes
            )));
        }
        return process_image(limits, bytes, format);
    }
    if bytes.len() > limits.max_file_bytes {
        return Err(refused(format!(
            "the file is too large: files other than images are limited to {} bytes",
            limits.max_file_bytes
        )));
    }
    let found = infer::get(bytes).map(|t| t.mime_type());
    if let Some((content_type, ext, kind)) = FILE_TYPES.iter().find(|(t, ..)| Some(*t) == found) {
        return Ok(kept_as_is(*kind, content_type, ext, bytes));
    }
    if found.is_none() && claimed.starts_with("text/plain") && is_plain_text(bytes) {
        return Ok(kept_as_is(
            MediaKind::Unknown,
            "text/plain; charset=utf-8",
            "txt",
            bytes,
        ));
    }
    Err(refused(format!(
        "files of this type are not accepted ({}); Guild takes JPEG, PNG, GIF and WebP images, \
         PDF, plain text, MP3, Ogg, WAV, FLAC and M4A audio, and MP4, WebM and QuickTime video",
        found.unwrap_or(if claimed.is_empty() {
            "unknown"
        } else {
            claimed
        })
    )))
}

fn kept_as_is(
    kind: MediaKind,
    content_type: &'static str,
    ext: &'static str,
    bytes: &[u8],
) -> Processed {
    Processed {
        kind,
        content_type,
        ext,
        bytes: bytes.to_vec(),
        width: None,
        height: None,
        preview: None,
        blurhash: None,
    }
}

/// UTF-8 with no control characters but line breaks and tabs: nothing a browser could take
/// for markup or a binary format.
fn is_plain_text(bytes: &[u8]) -> bool {
    std::str::from_utf8(bytes).is_ok_and(|text| {
        !text.contains('<')
            && text
                .chars()
                .all(|c| !c.is_control() || matches!(c, '\n' | '\r' | '\t'))
    })
}

/// The image format by the first bytes, for the formats Guild decodes.
fn image_format(bytes: &[u8]) -> Option<ImageFormat> {
    let is_webp = bytes.len() > 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP";
    match bytes {
        [0x89, b'P', b'N', b'G', ..] => Some(ImageFormat::Png),
        [0xff, 0xd8, 0xff, ..] => Some(ImageFormat::Jpeg),
        [b'G', b'I', b'F', b'8', ..] => Some(ImageFormat::Gif),
        _ if is_webp => Some(ImageFormat::WebP),
        _ => None,
    }
}

/// Whether a JPEG's image data has its end marker. The segments before the image data are
/// skipped by their lengths (an EXIF thumbnail inside them has its own); in the image data a
/// 0xFF byte is always followed by 0x00 or a restart marker, so 0xFF 0xD9 there is the end.
/// Data after the end (phones' motion photos) is allowed: it is not kept anyway.
fn jpeg_is_whole(bytes: &[u8]) -> bool {
    let mut at = 2; // after the start marker
    while at + 4 <= bytes.len() && bytes[at] == 0xff {
        let marker = bytes[at + 1];
        let length = usize::from(u16::from_be_bytes([bytes[at + 2], bytes[at + 3]]));
        at += 2 + length;
        if marker == 0xda {
            return bytes
                .get(at..)
                .is_some_and(|data| data.windows(2).any(|w| w == [0xff, 0xd9]));
        }
    }
    false
}

fn unreadable(e: image::ImageError) -> Error {
    refused(format!("the image cannot be read: {e}"))
}

fn process_image(
    limits: &MediaLimits,
    bytes: &[u8],
    format: ImageFormat,
) -> Result<Processed, Error> {
    // A truncated JPEG decodes to a half-grey picture; refuse it instead.
    if format == ImageFormat::Jpeg && !jpeg_is_whole(bytes) {
        return Err(refused(
            "the image is truncated: the JPEG has no end marker",
        ));
    }
    let mut reader = image::ImageReader::with_format(Cursor::new(bytes), format);
    let mut decoding_limits = image::Limits::default();
    // Room for the decoded pixels (RGBA, 16 bits at most) and the decoder's own buffers.
    decoding_limits.max_alloc = Some(limits.max_pixels * 8 + 64 * 1024 * 1024);
    reader.limits(decoding_limits);
    let mut decoder = reader.into_decoder().map_err(unreadable)?;
    let (width, height) = decoder.dimensions();
    let pixels = u64::from(width) * u64::from(height);
    if pixels > limits.max_pixels {
        return Err(refused(format!(
            "the image has too many pixels ({width} × {height}); at most {} are taken",
            limits.max_pixels
        )));
    }
    let orientation = decoder.orientation().map_err(unreadable)?;
    if format == ImageFormat::Gif {
        if let Some(animation) = animated_gif(limits, bytes)? {
            return Ok(animation);
        }
    }
    let mut image = DynamicImage::from_decoder(decoder).map_err(unreadable)?;
    image.apply_orientation(orientation);
    // Stored as JPEG, or as PNG where there is transparency (or it came as PNG or GIF).
    let (stored_format, content_type, ext) = if format == ImageFormat::Jpeg
        || (format == ImageFormat::WebP && !image.color().has_alpha())
    {
        (ImageFormat::Jpeg, "image/jpeg", "jpg")
    } else {
        (ImageFormat::Png, "image/png", "png")
    };
    let encoded = encode(&image, stored_format)?;
    Ok(Processed {
        kind: MediaKind::Image,
        content_type,
        ext,
        width: Some(image.width() as i32),
        height: Some(image.height() as i32),
        preview: Some(preview(&image)?),
        blurhash: blurhash_of(&image),
        bytes: encoded,
    })
}

/// An animated GIF, encoded again frame by frame (which drops its comments and extensions);
/// None for a still one.
fn animated_gif(limits: &MediaLimits, bytes: &[u8]) -> Result<Option<Processed>, Error> {
    let decoder = image::codecs::gif::GifDecoder::new(Cursor::new(bytes)).map_err(unreadable)?;
    let (width, height) = decoder.dimensions();
    let frame_pixels = u64::from(width) * u64::from(height);
    let mut frames = Vec::new();
    for frame in decoder.into_frames() {
        frames.push(frame.map_err(unreadable)?);
        if frame_pixels * frames.len() as u64 > limits.max_pixels {
            return Err(refused(format!(
                "the animation has too many pixels in all; at most {} are taken",
                limits.max_pixels
            )));
        }
    }
    if frames.len() < 2 {
        return Ok(None);
    }
    let first = DynamicImage::ImageRgba8(frames[0].buffer().clone());
    let mut encoded = Vec::new();
    {
        // The fastest palette quantisation: a long animation would hold a worker for
        // minutes at the best one.
        let mut encoder = image::codecs::gif::GifEncoder::new_with_speed(&mut encoded, 30);
        encoder
            .set_repeat(image::codecs::gif::Repeat::Infinite)
            .map_err(internal)?;
        encoder.encode_frames(frames).map_err(internal)?;
    }
    Ok(Some(Processed {
        // Apps play `gifv` as a video, which a GIF file is not: until animations are made
        // into videos, they are images.
        kind: MediaKind::Image,
        content_type: "image/gif",
        ext: "gif",
        width: Some(width as i32),
        height: Some(height as i32),
        preview: Some(preview(&first)?),
        blurhash: blurhash_of(&first),
        bytes: encoded,
    }))
}

fn internal(e: image::ImageError) -> Error {
    Error::caused_by("cannot encode an image", e)
}

fn encode(image: &DynamicImage, format: ImageFormat) -> Result<Vec<u8>, Error> {
    let mut out = Cursor::new(Vec::new());
    match format {
        ImageFormat::Jpeg => {
            let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 88);
            // JPEG has no transparency; a photo is already RGB, and is not copied.
            match image {
                DynamicImage::ImageRgb8(_) => image.write_with_encoder(encoder),
                _ => DynamicImage::ImageRgb8(image.to_rgb8()).write_with_encoder(encoder),
            }
            .map_err(internal)?;
        }
        _ => image.write_to(&mut out, format).map_err(internal)?,
    }
    Ok(out.into_inner())
}

/// A smaller copy for timelines: at most [`PREVIEW_SIDE`] on its longer side, as JPEG.
fn preview(image: &DynamicImage) -> Result<Preview, Error> {
    let small = if image.width().max(image.height()) > PREVIEW_SIDE {
        image.thumbnail(PREVIEW_SIDE, PREVIEW_SIDE)
    } else {
        image.clone()
    };
    let (format, ext) = if small.color().has_alpha() {
        (ImageFormat::Png, "png")
    } else {
        (ImageFormat::Jpeg, "jpg")
    };
    Ok(Preview {
        bytes: encode(&small, format)?,
        ext,
        width: small.width() as i32,
        height: small.height() as i32,
    })
}

/// The blurhash apps paint while the image loads, from a tiny copy (the hash keeps only a few
/// colours anyway).
fn blurhash_of(image: &DynamicImage) -> Option<String> {
    let tiny = image.thumbnail(32, 32).to_rgba8();
    blurhash::encode(4, 3, tiny.width(), tiny.height(), tiny.as_raw()).ok()
}

/// Uploads processed at once, across the server.
static WORKERS: std::sync::OnceLock<std::sync::Arc<tokio::sync::Semaphore>> =
    std::sync::OnceLock::new();

/// [`process`] on the blocking pool, no more than `media_workers` at a time.
pub async fn process_off_reactor(
    config: &Config,
    bytes: Vec<u8>,
    claimed: String,
) -> Result<Processed, Error> {
    let workers = WORKERS
        .get_or_init(|| std::sync::Arc::new(tokio::sync::Semaphore::new(config.media.workers)));
    let permit = workers
        .clone()
        .acquire_owned()
        .await
        .map_err(|e| Error::caused_by("media workers closed", e))?;
    let limits = config.media.clone();
    // The permit goes with the work: a client that hangs up does not free it early.
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        process(&limits, &bytes, &claimed)
    })
    .await
    .map_err(|e| Error::caused_by("media processing stopped", e))?
}

/// What a person says about an attachment: alt text and focal point.
#[derive(Default, Clone)]
pub struct Details {
    pub description: Option<String>,
    /// `x,y`, each from -1 to 1.
    pub focus: Option<String>,
}

impl Details {
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
    db: &Db,
    config: &Config,
    owner: &Account,
    upload: (Vec<u8>, String),
    details: Details,
) -> Result<Attachment, Error> {
    let (description, focus) = details.check()?;
    let processed = process_off_reactor(config, upload.0, upload.1).await?;
    let files = FileStore::new(config);
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
pub async fn profile_image(config: &Config, upload: (Vec<u8>, String)) -> Result<String, Error> {
    let processed = process_off_reactor(config, upload.0, upload.1).await?;
    if processed.kind != MediaKind::Image {
        return Err(refused(
            "avatars and headers must be JPEG, PNG, GIF or WebP images",
        ));
    }
    let key = format!("{}.{}", file_name(next_id()), processed.ext);
    FileStore::new(config).put(&key, processed.bytes).await?;
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
    let (description, focus) = details.check()?;
    if details.description.is_some() {
        attachment.description = description;
    }
    if details.focus.is_some() {
        attachment.focus_x = focus.map(|f| f.0);
        attachment.focus_y = focus.map(|f| f.1);
    }
    media::update_details(conn, &attachment)?;
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
        let (description, focus) = change.check()?;
        if change.description.is_some() {
            attachment.description = description;
        }
        if change.focus.is_some() {
            attachment.focus_x = focus.map(|f| f.0);
            attachment.focus_y = focus.map(|f| f.1);
        }
        media::update_details(conn, &attachment)?;
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
    db: &Db,
    config: &Config,
    unattached_for: chrono::Duration,
    progress: impl Fn(usize),
) -> Result<usize, Error> {
    let files = FileStore::new(config);
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

pub async fn usage(db: &Db, config: &Config) -> Result<Usage, Error> {
    let (files, bytes) = FileStore::new(config).usage().await?;
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

    fn limits() -> MediaLimits {
        MediaLimits {
            max_image_bytes: 1024 * 1024,
            max_file_bytes: 1024 * 1024,
            max_pixels: 1_000_000,
            workers: 1,
        }
    }

    fn jpeg(width: u32, height: u32) -> Vec<u8> {
        let image = DynamicImage::ImageRgb8(image::RgbImage::from_fn(width, height, |x, _| {
            image::Rgb([(x * 7) as u8, 90, 200])
        }));
        encode(&image, ImageFormat::Jpeg).unwrap()
    }

    /// `jpeg` with an EXIF block saying "rotate 90° clockwise to show" and a camera note.
    fn jpeg_with_exif(width: u32, height: u32) -> Vec<u8> {
        let plain = jpeg(width, height);
        let mut tiff = b"II*\0\x08\0\0\0\x01\0\x12\x01\x03\0\x01\0\0\0\x06\0\0\0\0\0\0\0".to_vec();
        tiff.extend(b"GPS 51.5N 0.1W camera-serial-123");
        let mut exif = b"Exif\0\0".to_vec();
        exif.extend(tiff);
        let mut out = plain[..2].to_vec();
        out.extend([0xff, 0xe1]);
        out.extend(((exif.len() + 2) as u16).to_be_bytes());
        out.extend(exif);
        out.extend(&plain[2..]);
        out
    }

    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = !0u32;
        for byte in bytes {
            crc ^= u32::from(*byte);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xedb8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    /// A PNG whose header declares `width` × `height`, with almost no pixel data.
    fn png_declaring(width: u32, height: u32) -> Vec<u8> {
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        let mut chunk = |kind: &[u8], data: &[u8]| {
            png.extend((data.len() as u32).to_be_bytes());
            let mut body = kind.to_vec();
            body.extend(data);
            png.extend(&body);
            png.extend(crc32(&body).to_be_bytes());
        };
        let mut header = width.to_be_bytes().to_vec();
        header.extend(height.to_be_bytes());
        header.extend([8, 6, 0, 0, 0]);
        chunk(b"IHDR", &header);
        chunk(b"IDAT", &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]);
        chunk(b"IEND", &[]);
        png
    }

    #[test]
    fn photos_are_turned_upright_and_lose_their_metadata() {
        let upload = jpeg_with_exif(40, 20);
        assert!(upload.windows(4).any(|w| w == b"Exif"));
        let kept = process(&limits(), &upload, "image/jpeg").unwrap();
        assert_eq!((kept.width, kept.height), (Some(20), Some(40)), "rotated");
        assert_eq!(
            (kept.kind, kept.content_type),
            (MediaKind::Image, "image/jpeg")
        );
        assert!(!kept.bytes.windows(4).any(|w| w == b"Exif"));
        assert!(!kept.bytes.windows(3).any(|w| w == b"GPS"));
        assert!(kept.blurhash.is_some_and(|b| b.len() > 6));
        assert_eq!(kept.preview.map(|p| (p.width, p.height)), Some((20, 40)));
    }

    #[test]
    fn what_follows_a_whole_photo_is_allowed() {
        let mut motion_photo = jpeg_with_exif(16, 8);
        motion_photo.extend(b"\0\0\0\x18ftypmp42 a video trailer \xff\xda\x00");
        let kept = process(&limits(), &motion_photo, "image/jpeg").unwrap();
        assert!(!kept.bytes.windows(4).any(|w| w == b"ftyp"));
    }

    #[test]
    fn large_images_get_a_small_preview() {
        let kept = process(&limits(), &jpeg(1280, 320), "").unwrap();
        let preview = kept.preview.unwrap();
        assert_eq!((preview.width, preview.height), (640, 160));
    }

    #[test]
    fn what_is_hidden_after_an_image_is_dropped() {
        let mut polyglot = jpeg(16, 16);
        let ending = polyglot.split_off(polyglot.len() - 2);
        polyglot.extend(b"<html><script>alert(1)</script></html>");
        polyglot.extend(ending);
        let kept = process(&limits(), &polyglot, "image/jpeg").unwrap();
        assert!(!kept.bytes.windows(8).any(|w| w == b"<script>"));
    }

    #[test]
    fn hostile_and_broken_files_are_refused_with_a_reason() {
        let refusal = |bytes: &[u8], claimed: &str| match process(&limits(), bytes, claimed) {
            Err(Error::Unprocessable(why)) => why,
            Err(e) => panic!("not a 422: {e}"),
            Ok(_) => panic!("taken"),
        };
        let photo = jpeg(64, 64);
        assert!(refusal(&photo[..photo.len() / 2], "image/jpeg").contains("truncated"));
        assert!(refusal(&png_declaring(100_000, 100_000), "image/png").contains("too many pixels"));
        let svg = b"<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"/>";
        assert!(refusal(svg, "image/svg+xml").contains("not accepted"));
        assert!(refusal(b"<html><script>x</script>", "text/plain").contains("not accepted"));
        assert!(refusal(&vec![b'a'; 2 * 1024 * 1024], "text/plain").contains("limited"));
    }

    #[test]
    fn documents_are_kept_as_they_are() {
        let pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";
        let kept = process(&limits(), pdf, "application/octet-stream").unwrap();
        assert_eq!(
            (kept.kind, kept.content_type, kept.ext),
            (MediaKind::Unknown, "application/pdf", "pdf")
        );
        assert_eq!(kept.bytes, pdf);
        assert!(served_as_download("application/pdf"));
        let notes = process(&limits(), b"step 1\nstep 2\n", "text/plain").unwrap();
        assert_eq!(notes.content_type, "text/plain; charset=utf-8");
    }

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
