//! Images people upload for avatars and headers (of themselves and of their communities),
//! kept in `data_dir/media` and served at `/media/{name}`. Only PNG, JPEG, GIF and WebP are
//! taken, recognised by their first bytes, not by what the client claims.

use crate::config::Config;
use crate::error::Error;
use crate::ids::next_id;
use std::path::PathBuf;

/// The largest image kept; request bodies are limited to 1 MiB anyway.
pub const MAX_IMAGE_BYTES: usize = 1024 * 1024;

/// The file extension and content type of an image, by its magic bytes.
pub fn image_kind(bytes: &[u8]) -> Option<(&'static str, &'static str)> {
    let is_webp = bytes.len() > 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP";
    match bytes {
        [0x89, b'P', b'N', b'G', ..] => Some(("png", "image/png")),
        [0xff, 0xd8, 0xff, ..] => Some(("jpg", "image/jpeg")),
        [b'G', b'I', b'F', b'8', ..] => Some(("gif", "image/gif")),
        _ if is_webp => Some(("webp", "image/webp")),
        _ => None,
    }
}

/// The content type of a stored file by its name, or None for names Guild never made.
pub fn stored_type(name: &str) -> Option<&'static str> {
    let (id, ext) = name.split_once('.')?;
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    match ext {
        "png" => Some("image/png"),
        "jpg" => Some("image/jpeg"),
        "gif" => Some("image/gif"),
        "webp" => Some("image/webp"),
        _ => None,
    }
}

pub fn media_dir(config: &Config) -> PathBuf {
    config.data_dir.join("media")
}

/// Keep an uploaded image; returns its public URL. Blocking: call it off the reactor.
pub fn save_image(config: &Config, bytes: &[u8]) -> Result<String, Error> {
    if bytes.len() > MAX_IMAGE_BYTES {
        return Err(Error::Unprocessable("images are limited to 1 MiB".into()));
    }
    let (ext, _) = image_kind(bytes)
        .ok_or_else(|| Error::Unprocessable("the image must be PNG, JPEG, GIF or WebP".into()))?;
    let dir = media_dir(config);
    std::fs::create_dir_all(&dir)
        .map_err(|e| Error::internal(format!("cannot create {}: {e}", dir.display())))?;
    let name = format!("{}.{ext}", next_id());
    let path = dir.join(&name);
    std::fs::write(&path, bytes)
        .map_err(|e| Error::internal(format!("cannot write {}: {e}", path.display())))?;
    Ok(format!("{}/media/{name}", config.base_url()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_are_known_by_their_bytes() {
        assert_eq!(image_kind(b"\x89PNG\r\n\x1a\n"), Some(("png", "image/png")));
        assert_eq!(
            image_kind(b"RIFF\0\0\0\0WEBPVP8 "),
            Some(("webp", "image/webp"))
        );
        assert_eq!(image_kind(b"<svg onload=alert(1)>"), None);
        assert_eq!(stored_type("123.png"), Some("image/png"));
        assert_eq!(stored_type("../etc.png"), None);
        assert_eq!(stored_type("12.svg"), None);
    }
}
