//! Checking and preparing uploads: what the bytes are (never what the client claims),
//! images decoded, turned upright and encoded again (which drops EXIF and GPS metadata, and
//! anything hidden after the image), given a preview and a blurhash; other files kept as they
//! are. CPU work: [`process_off_reactor`] runs it on the blocking pool, a few at a time.

use super::refused;
use crate::config::{Config, MediaLimits};
use crate::domain::MediaKind;
use crate::error::Error;
use image::{AnimationDecoder, DynamicImage, ImageDecoder, ImageFormat};
use std::io::Cursor;

/// The longer side of a preview, as Mastodon's "small" version.
const PREVIEW_SIDE: u32 = 640;

/// Types taken besides images, by what their bytes say (`infer`), with the extension kept.
pub(super) const FILE_TYPES: &[(&str, &str, MediaKind)] = &[
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
pub(super) const IMAGE_TYPES: &[(&str, &str)] = &[
    ("image/jpeg", "jpg"),
    ("image/png", "png"),
    ("image/gif", "gif"),
];

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

#[cfg(test)]
mod tests {
    use super::super::served_as_download;
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
}
